// Builds JWTs byte by byte (GLib HMAC, independent of libjwt) so tests can make tokens the
// production issuer never would: other algorithms, bad claims, tampered parts.
#pragma once

#include <mediaflow/protocol/jwt.hpp>

#include <glib.h>

#include <ostream>

#include <string>
#include <string_view>

namespace mediaflow::test {

inline std::string b64url(std::string_view raw) {
  gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(raw.data()), raw.size());
  std::string out;
  for (const gchar* p = b64; *p != '\0'; ++p) {
    if (*p == '+') out += '-';
    else if (*p == '/') out += '_';
    else if (*p != '=') out += *p;
  }
  g_free(b64);
  return out;
}

inline std::string hmac_raw(GChecksumType type, std::string_view key, std::string_view data) {
  GHmac* hmac = g_hmac_new(type, reinterpret_cast<const guchar*>(key.data()), key.size());
  g_hmac_update(hmac, reinterpret_cast<const guchar*>(data.data()),
                static_cast<gssize>(data.size()));
  guint8 digest[64];
  gsize len = sizeof digest;
  g_hmac_get_digest(hmac, digest, &len);
  g_hmac_unref(hmac);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

// header.payload.signature with an HMAC of `type` (SHA256 = HS256, SHA384 = HS384) under `key`.
inline std::string forge_jwt(std::string_view header_json, std::string_view payload_json,
                             std::string_view key, GChecksumType type = G_CHECKSUM_SHA256) {
  std::string signing_input = b64url(header_json) + "." + b64url(payload_json);
  return signing_input + "." + b64url(hmac_raw(type, key, signing_input));
}

inline std::string hs256_header() { return R"({"alg":"HS256","typ":"JWT"})"; }

}  // namespace mediaflow::test

namespace mediaflow::protocol {
// Lets gtest print a JwtStatus by name in failure messages.
inline void PrintTo(JwtStatus status, std::ostream* os) { *os << to_string(status); }
}  // namespace mediaflow::protocol
