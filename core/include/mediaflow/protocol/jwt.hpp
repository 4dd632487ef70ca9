// HS256 JSON Web Tokens for the media WebSocket: verification of connect tokens and issue of
// the short-lived stream token the TwiML webhook hands to Twilio.
//
// Only HS256 is accepted. The header's `alg` is checked on the raw token before libjwt sees
// it, so `none`, HS384/512 and every asymmetric algorithm are refused whatever libjwt would do
// with them. Claims (RFC 7519 NumericDate seconds):
//   exp  required, must be > now
//   aud  optional; when present "media", or an array holding "media"
//   iat  optional; refused when more than `iat_leeway_seconds` (60) in the future
//   nbf  optional; refused when more than `iat_leeway_seconds` in the future
// The reason of a refusal is a short fixed string fit for a metric label and a log line; no
// function here ever returns or logs the token itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mediaflow::protocol {

enum class JwtStatus {
  ok,
  malformed,        // not three base64url segments, or header/payload not a JSON object
  alg_not_allowed,  // header alg is not exactly "HS256" (none, HS384, RS256, ...)
  bad_signature,    // signature does not verify under the secret
  missing_exp,      // no numeric `exp` claim
  expired,          // exp <= now
  wrong_audience,   // aud present and neither "media" nor an array holding it
  iat_in_future,    // iat > now + leeway
  not_yet_valid,    // nbf > now + leeway
  no_secret,        // verifier configured with an empty secret: refuses everything
};

// Stable lower_snake names, used as the `reason` label of mediaflow_auth_failures_total.
std::string_view to_string(JwtStatus status);

struct JwtVerifyOptions {
  std::string_view audience = "media";
  std::int64_t iat_leeway_seconds = 60;
};

// Verifies `token` under `secret` at time `now_unix` (seconds since the epoch; tests inject it).
JwtStatus verify_hs256(std::string_view token, std::string_view secret, std::int64_t now_unix,
                       const JwtVerifyOptions& options = {});
// Same, at the current system time.
JwtStatus verify_hs256(std::string_view token, std::string_view secret,
                       const JwtVerifyOptions& options = {});

// Maximum lifetime of an issued stream token (the contract says exp <= 5 min).
inline constexpr std::int64_t kMaxStreamTokenTtlSeconds = 300;

// Issues an HS256 token {"aud":"media","iat":now,"exp":now+ttl}; ttl is clamped to
// [1, kMaxStreamTokenTtlSeconds]. Returns "" if `secret` is empty or encoding fails.
std::string issue_hs256(std::string_view secret, std::int64_t now_unix, std::int64_t ttl_seconds);
// Same, at the current system time.
std::string issue_hs256_now(std::string_view secret,
                            std::int64_t ttl_seconds = kMaxStreamTokenTtlSeconds);

// True when `token` has the shape of a compact JWS (three non-empty dot-separated segments).
bool looks_like_jwt(std::string_view token);

}  // namespace mediaflow::protocol
