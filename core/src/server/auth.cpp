#include <mediaflow/server/auth.hpp>

#include <mediaflow/protocol/constant_time.hpp>

#include <glib.h>

#include <cstdlib>

namespace mediaflow::server {
namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string s(in);
  if (plus_is_space)
    for (char& c : s)
      if (c == '+') c = ' ';
  gchar* decoded = g_uri_unescape_string(s.c_str(), nullptr);
  if (decoded == nullptr) return std::nullopt;  // bad escape or an encoded NUL
  std::string out(decoded);
  g_free(decoded);
  return out;
}

std::string_view trim_trailing_slashes(std::string_view s) {
  while (s.size() > 1 && s.back() == '/') s.remove_suffix(1);
  return s;
}

AuthDecision deny(std::string_view reason, TokenSource source) {
  return AuthDecision{false, reason, source};
}

}  // namespace

AuthConfig AuthConfig::from_env() {
  return AuthConfig{.static_token = env_or_empty("MEDIA_AUTH_TOKEN"), .shared_secret = env_or_empty("MEDIA_SHARED_SECRET")};
}

std::string_view to_string(TokenSource source) {
  switch (source) {
    case TokenSource::none: return "none";
    case TokenSource::path: return "path";
    case TokenSource::query: return "query";
    case TokenSource::header: return "header";
    case TokenSource::basic: return "basic";
  }
  return "none";
}

WsPathMatch match_ws_path(std::string_view ws_path, std::string_view path) {
  ws_path = trim_trailing_slashes(ws_path);
  if (ws_path == "/") ws_path = {};  // served at the root: "/" and "/jwt/<token>"
  WsPathMatch m;
  if (path.substr(0, ws_path.size()) != ws_path) return m;
  std::string_view rest = path.substr(ws_path.size());
  if (rest.empty() || rest == "/") {
    m.matches = true;
    return m;
  }
  constexpr std::string_view kJwt = "/jwt/";
  if (rest.substr(0, kJwt.size()) != kJwt) return m;
  std::string_view raw = rest.substr(kJwt.size());
  if (raw.find('/') != std::string_view::npos) return m;
  auto token = percent_decode(raw, false);
  if (!token) return m;
  m.matches = true;
  m.token = std::move(*token);
  return m;
}

std::optional<std::string> token_from_query(std::string_view raw_query) {
  while (!raw_query.empty()) {
    auto amp = raw_query.find('&');
    std::string_view pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view{} : raw_query.substr(amp + 1);
    auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    if (!name || *name != "token") continue;
    if (eq == std::string_view::npos) return std::string();
    return percent_decode(pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

// `Authorization: Basic <base64(user:password)>` against "user:password", in constant time.
bool basic_credentials_match(std::string_view header, std::string_view expected) {
  constexpr std::string_view kScheme = "Basic ";
  if (header.size() <= kScheme.size() || g_ascii_strncasecmp(header.data(), kScheme.data(), kScheme.size()) != 0)
    return false;
  std::string encoded(header.substr(kScheme.size()));
  gsize len = 0;
  guchar* decoded = g_base64_decode(encoded.c_str(), &len);
  const bool ok = decoded && protocol::constant_time_equals(
                                 std::string_view(reinterpret_cast<const char*>(decoded), len), expected);
  g_free(decoded);
  return ok;
}

AuthDecision authorize_connect(const AuthConfig& config, std::string_view ws_path,
                               const ConnectRequest& request, std::int64_t now_unix) {
  WsPathMatch path = match_ws_path(ws_path, request.path);
  if (!path.matches) return deny("bad_path", TokenSource::none);
  if (!config.enabled()) return AuthDecision{true, {}, TokenSource::none};
  const bool token_modes = !config.static_token.empty() || !config.shared_secret.empty();
  if (!config.basic_credentials.empty() && request.authorization) {
    if (basic_credentials_match(*request.authorization, config.basic_credentials))
      return AuthDecision{true, {}, TokenSource::basic};
    if (!token_modes) return deny("bad_credentials", TokenSource::basic);
  }
  if (!token_modes) return deny("missing_token", TokenSource::none);

  // First non-empty position wins: path, then ?token=, then x-media-auth.
  std::string_view token;
  TokenSource source = TokenSource::none;
  if (path.token && !path.token->empty()) {
    token = *path.token;
    source = TokenSource::path;
  } else if (request.query_token && !request.query_token->empty()) {
    token = *request.query_token;
    source = TokenSource::query;
  } else if (request.header_token && !request.header_token->empty()) {
    token = *request.header_token;
    source = TokenSource::header;
  }
  if (source == TokenSource::none) return deny("missing_token", source);

  if (!config.static_token.empty() && protocol::constant_time_equals(token, config.static_token))
    return AuthDecision{true, {}, source};
  if (!config.shared_secret.empty()) {
    // With both modes on, a token that is not even JWT-shaped was meant as the static token.
    if (!config.static_token.empty() && !protocol::looks_like_jwt(token))
      return deny("bad_token", source);
    protocol::JwtStatus status = protocol::verify_hs256(token, config.shared_secret, now_unix);
    if (status == protocol::JwtStatus::ok) return AuthDecision{true, {}, source};
    return deny(protocol::to_string(status), source);
  }
  return deny("bad_token", source);
}

AuthDecision authorize_connect(const AuthConfig& config, std::string_view ws_path,
                               const ConnectRequest& request) {
  return authorize_connect(config, ws_path, request, static_cast<std::int64_t>(g_get_real_time() / 1000000));
}

}  // namespace mediaflow::server
