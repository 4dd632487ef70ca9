#include <mediaflow/server/redis_url.hpp>

#include <charconv>

namespace mediaflow::server {
namespace {

bool parse_int(std::string_view text, int min, int max, int* out) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) return false;
  *out = v;
  return true;
}

}  // namespace

std::optional<RedisUrl> parse_redis_url(std::string_view url, std::string* why) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    *why = "REDIS_URL: expected redis://[user:password@]host[:port][/db]";
    return std::nullopt;
  }
  std::string_view rest = url.substr(kScheme.size());
  RedisUrl r;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view auth = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (auto colon = auth.find(':'); colon != std::string_view::npos) {
      r.user = auth.substr(0, colon);
      r.password = auth.substr(colon + 1);
    } else {
      r.password = auth;  // redis://password@host, as redis-cli reads it
    }
  }
  std::string_view hostport = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && !parse_int(db, 0, 1 << 20, &r.db)) {
      *why = "REDIS_URL: the database after '/' must be a number";
      return std::nullopt;
    }
  }
  if (!hostport.empty() && hostport.front() == '[') {  // [::1]:6379
    auto close = hostport.find(']');
    if (close == std::string_view::npos) {
      *why = "REDIS_URL: unclosed '[' in the host";
      return std::nullopt;
    }
    r.host = hostport.substr(1, close - 1);
    hostport = hostport.substr(close + 1);
    if (!hostport.empty() && hostport.front() != ':') {
      *why = "REDIS_URL: expected ':port' after the host";
      return std::nullopt;
    }
    if (!hostport.empty() && !parse_int(hostport.substr(1), 1, 65535, &r.port)) {
      *why = "REDIS_URL: the port must be 1..65535";
      return std::nullopt;
    }
  } else {
    auto colon = hostport.rfind(':');
    r.host = hostport.substr(0, colon);
    if (colon != std::string_view::npos && !parse_int(hostport.substr(colon + 1), 1, 65535, &r.port)) {
      *why = "REDIS_URL: the port must be 1..65535";
      return std::nullopt;
    }
  }
  if (r.host.empty()) {
    *why = "REDIS_URL: no host";
    return std::nullopt;
  }
  return r;
}

}  // namespace mediaflow::server
