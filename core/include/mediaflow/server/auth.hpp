// The connect-time auth decision for the media WebSocket (framework-free; the libsoup handler
// extracts path, ?token= and the x-media-auth header and calls authorize_connect before the
// upgrade, answering 401 on deny).
//
// Token positions, first present wins: path `WS_PATH/jwt/<token>`, query `?token=`, header
// `x-media-auth`. The same rules apply whichever position carries it. Modes:
//   neither MEDIA_AUTH_TOKEN nor MEDIA_SHARED_SECRET set  -> allow, no token looked at
//   MEDIA_AUTH_TOKEN only     -> token must equal it (constant-time)
//   MEDIA_SHARED_SECRET only  -> token must be a valid HS256 JWT (protocol/jwt.hpp)
//   both                      -> either one suffices
// A transport may also take HTTP Basic credentials (its TransportDescriptor::basic_auth_env
// names a variable of user:password): a matching `Authorization: Basic` header is then enough, and without any
// token mode it is required.
// See docs/security.md.
#pragma once

#include <mediaflow/protocol/jwt.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mediaflow::server {

struct AuthConfig {
  std::string static_token{};    // MEDIA_AUTH_TOKEN ("" = unset)
  std::string shared_secret{};   // MEDIA_SHARED_SECRET ("" = unset)
  std::string basic_credentials{};  // "user:password" the transport accepts in HTTP Basic ("" = none)

  bool enabled() const { return !static_token.empty() || !shared_secret.empty() || !basic_credentials.empty(); }
  // Reads MEDIA_AUTH_TOKEN and MEDIA_SHARED_SECRET from the environment.
  static AuthConfig from_env();
};

// Where a media WebSocket request path stands relative to WS_PATH.
struct WsPathMatch {
  bool matches = false;               // WS_PATH, WS_PATH/, or WS_PATH/jwt/<token>
  std::optional<std::string> token;   // the percent-decoded path token, when present
};
// `path` is the request path without query string (percent-encoded as on the wire).
WsPathMatch match_ws_path(std::string_view ws_path, std::string_view path);

enum class TokenSource { none, path, query, header, basic };
std::string_view to_string(TokenSource source);

struct ConnectRequest {
  std::string_view path{};                         // request path, e.g. /rtm/voice/jwt/eyJ...
  std::optional<std::string_view> query_token{};   // decoded value of ?token=, if given
  std::optional<std::string_view> header_token{};  // value of x-media-auth, if given
  std::optional<std::string_view> authorization{};  // the Authorization header, if given
};

struct AuthDecision {
  bool allowed = false;
  // Refusal reason (metric label of mediaflow_auth_failures_total, log field); "" when allowed.
  // One of: bad_path, missing_token, bad_token (static token mismatch / not a JWT when
  // both modes are on), bad_credentials (HTTP Basic), or a protocol::JwtStatus name
  // (expired, wrong_audience, ...).
  std::string_view reason;
  TokenSource source = TokenSource::none;  // which position supplied the token examined
};

// `now_unix` is injectable for tests; the overload without it uses the system clock.
AuthDecision authorize_connect(const AuthConfig& config, std::string_view ws_path,
                               const ConnectRequest& request, std::int64_t now_unix);
AuthDecision authorize_connect(const AuthConfig& config, std::string_view ws_path,
                               const ConnectRequest& request);

// Decodes the `token` parameter out of a raw query string ("a=1&token=x%2By"), for callers
// that do not already have the query parsed. Form decoding as libsoup's soup_form_decode does
// it ("+" is a space), so both paths agree; the first `token` wins.
std::optional<std::string> token_from_query(std::string_view raw_query);

}  // namespace mediaflow::server
