#include <mediaflow/server/webhooks.hpp>

#include <mediaflow/protocol/jwt.hpp>
#include <mediaflow/server/config.hpp>

#include <algorithm>
#include <cstdlib>

namespace mediaflow::server {

std::function<std::optional<std::string>(std::int64_t)> stream_token_minter(std::string shared_secret,
                                                                            std::string static_token,
                                                                            std::int64_t now_unix) {
  return [secret = std::move(shared_secret), static_token = std::move(static_token),
          now_unix](std::int64_t ttl_seconds) -> std::optional<std::string> {
    if (secret.empty()) return static_token;
    const std::int64_t ttl = std::clamp<std::int64_t>(ttl_seconds, 1, protocol::kMaxStreamTokenTtlSeconds);
    std::string jwt = protocol::issue_hs256(secret, now_unix, ttl);
    if (jwt.empty()) return std::nullopt;
    return jwt;
  };
}

std::optional<std::string> host_setting(const ServerConfig& config, std::string_view name) {
  std::optional<std::string> value;
  if (auto it = config.transport_settings.find(name); it != config.transport_settings.end()) {
    value = it->second;
  } else {
    const std::string key(name);
    if (const char* v = std::getenv(key.c_str())) value = v;
  }
  if (value && value->empty()) value.reset();
  return value;
}

}  // namespace mediaflow::server
