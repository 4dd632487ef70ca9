#include <mediaflow/protocol/jwt.hpp>

#include <mediaflow/protocol/json_depth.hpp>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <jwt.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <optional>

namespace mediaflow::protocol {
namespace {

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

struct GObjectDeleter {
  void operator()(gpointer object) const { g_object_unref(object); }
};
using ParserPtr = std::unique_ptr<JsonParser, GObjectDeleter>;

std::int64_t system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Strict base64url without padding (RFC 7515 §2). nullopt on any other character.
std::optional<std::string> base64url_decode(std::string_view in) {
  if (in.empty() || in.size() % 4 == 1) return std::nullopt;
  std::string b64;
  b64.reserve(in.size() + 3);
  for (char c : in) {
    if (g_ascii_isalnum(c)) b64 += c;
    else if (c == '-') b64 += '+';
    else if (c == '_') b64 += '/';
    else return std::nullopt;
  }
  while (b64.size() % 4 != 0) b64 += '=';
  gsize len = 0;
  guchar* raw = g_base64_decode(b64.c_str(), &len);
  std::string out(reinterpret_cast<const char*>(raw), len);
  g_free(raw);
  return out;
}

// Parses `json` and returns the parser holding a root JSON object, or null.
ParserPtr parse_object(const std::string& json) {
  if (json_nesting_beyond(json, kMaxVendorJsonDepth)) return nullptr;  // json-glib recurses per level
  ParserPtr parser(json_parser_new_immutable());
  if (!json_parser_load_from_data(parser.get(), json.data(), static_cast<gssize>(json.size()),
                                  nullptr))
    return nullptr;
  JsonNode* root = json_parser_get_root(parser.get());
  if (root == nullptr || !JSON_NODE_HOLDS_OBJECT(root)) return nullptr;
  return parser;
}

JsonObject* root_object(JsonParser* parser) {
  return json_node_get_object(json_parser_get_root(parser));
}

// NumericDate member: integer or fractional seconds. nullopt if absent; `ok` false if ill-typed.
std::optional<std::int64_t> numeric_date(JsonObject* claims, const char* name, bool& ok) {
  ok = true;
  JsonNode* node = json_object_get_member(claims, name);
  if (node == nullptr) return std::nullopt;
  if (JSON_NODE_TYPE(node) == JSON_NODE_VALUE) {
    GType type = json_node_get_value_type(node);
    if (type == G_TYPE_INT64) return json_node_get_int(node);
    if (type == G_TYPE_DOUBLE) {
      double v = json_node_get_double(node);
      if (std::isfinite(v) && std::fabs(v) < 9.0e15) return static_cast<std::int64_t>(std::floor(v));
    }
  }
  ok = false;
  return std::nullopt;
}

bool audience_matches(JsonNode* aud, std::string_view audience) {
  auto is_audience = [&](JsonNode* node) {
    return JSON_NODE_TYPE(node) == JSON_NODE_VALUE &&
           json_node_get_value_type(node) == G_TYPE_STRING &&
           audience == json_node_get_string(node);
  };
  if (is_audience(aud)) return true;
  if (JSON_NODE_TYPE(aud) != JSON_NODE_ARRAY) return false;
  JsonArray* array = json_node_get_array(aud);
  for (guint i = 0; i < json_array_get_length(array); ++i)
    if (is_audience(json_array_get_element(array, i))) return true;
  return false;
}

}  // namespace

std::string_view to_string(JwtStatus status) {
  switch (status) {
    case JwtStatus::ok: return "ok";
    case JwtStatus::malformed: return "malformed";
    case JwtStatus::alg_not_allowed: return "alg_not_allowed";
    case JwtStatus::bad_signature: return "bad_signature";
    case JwtStatus::missing_exp: return "missing_exp";
    case JwtStatus::expired: return "expired";
    case JwtStatus::wrong_audience: return "wrong_audience";
    case JwtStatus::iat_in_future: return "iat_in_future";
    case JwtStatus::not_yet_valid: return "not_yet_valid";
    case JwtStatus::no_secret: return "no_secret";
  }
  return "unknown";
}

bool looks_like_jwt(std::string_view token) {
  auto first = token.find('.');
  if (first == std::string_view::npos || first == 0) return false;
  auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || second == first + 1) return false;
  return token.find('.', second + 1) == std::string_view::npos;
}

JwtStatus verify_hs256(std::string_view token, std::string_view secret, std::int64_t now_unix,
                       const JwtVerifyOptions& options) {
  if (secret.empty()) return JwtStatus::no_secret;
  if (!looks_like_jwt(token) || token.size() > 8192) return JwtStatus::malformed;
  // libjwt reads a C string: a NUL (or anything else outside base64url) would end the token it
  // checks early, so "valid token + NUL + anything" would pass. Compact JWS is base64url and '.'.
  for (char c : token)
    if (!g_ascii_isalnum(c) && c != '-' && c != '_' && c != '.') return JwtStatus::malformed;
  const auto dot1 = token.find('.');
  const auto dot2 = token.find('.', dot1 + 1);

  // 1. The header decides nothing until we have checked it ourselves: only HS256 passes.
  auto header_json = base64url_decode(token.substr(0, dot1));
  if (!header_json) return JwtStatus::malformed;
  ParserPtr header = parse_object(*header_json);
  if (!header) return JwtStatus::malformed;
  JsonObject* h = root_object(header.get());
  JsonNode* alg = json_object_get_member(h, "alg");
  if (alg == nullptr || JSON_NODE_TYPE(alg) != JSON_NODE_VALUE ||
      json_node_get_value_type(alg) != G_TYPE_STRING)
    return JwtStatus::malformed;
  if (std::string_view(json_node_get_string(alg)) != "HS256") return JwtStatus::alg_not_allowed;
  // A critical extension we do not implement must make the token invalid (RFC 7515 §4.1.11).
  if (json_object_has_member(h, "crit")) return JwtStatus::malformed;

  auto payload_json = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!payload_json) return JwtStatus::malformed;
  ParserPtr payload = parse_object(*payload_json);
  if (!payload) return JwtStatus::malformed;
  if (dot2 + 1 >= token.size()) return JwtStatus::bad_signature;  // empty signature

  // 2. Signature, by libjwt, with the key; then insist libjwt agrees the algorithm is HS256.
  const std::string token_z(token);
  jwt_t* raw = nullptr;
  int rc = jwt_decode(&raw, token_z.c_str(), reinterpret_cast<const unsigned char*>(secret.data()),
                      static_cast<int>(secret.size()));
  JwtPtr decoded(raw);
  if (rc != 0 || !decoded || jwt_get_alg(decoded.get()) != JWT_ALG_HS256)
    return JwtStatus::bad_signature;

  // 3. Claims, read from the (now authenticated) payload bytes.
  JsonObject* claims = root_object(payload.get());
  bool ok = true;
  auto exp = numeric_date(claims, "exp", ok);
  if (!exp) return JwtStatus::missing_exp;
  if (*exp <= now_unix) return JwtStatus::expired;
  if (JsonNode* aud = json_object_get_member(claims, "aud"))
    if (!audience_matches(aud, options.audience)) return JwtStatus::wrong_audience;
  auto iat = numeric_date(claims, "iat", ok);
  if (!ok) return JwtStatus::malformed;
  if (iat && *iat > now_unix + options.iat_leeway_seconds) return JwtStatus::iat_in_future;
  auto nbf = numeric_date(claims, "nbf", ok);
  if (!ok) return JwtStatus::malformed;
  if (nbf && *nbf > now_unix + options.iat_leeway_seconds) return JwtStatus::not_yet_valid;
  return JwtStatus::ok;
}

JwtStatus verify_hs256(std::string_view token, std::string_view secret,
                       const JwtVerifyOptions& options) {
  return verify_hs256(token, secret, system_now(), options);
}

std::string issue_hs256(std::string_view secret, std::int64_t now_unix, std::int64_t ttl_seconds) {
  if (secret.empty()) return {};
  if (ttl_seconds < 1) ttl_seconds = 1;
  if (ttl_seconds > kMaxStreamTokenTtlSeconds) ttl_seconds = kMaxStreamTokenTtlSeconds;
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return {};
  JwtPtr jwt(raw);
  if (jwt_add_grant(jwt.get(), "aud", "media") != 0 ||
      jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(now_unix)) != 0 ||
      jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(now_unix + ttl_seconds)) != 0 ||
      jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                  static_cast<int>(secret.size())) != 0)
    return {};
  char* encoded = jwt_encode_str(jwt.get());
  if (encoded == nullptr) return {};
  std::string out(encoded);
  std::free(encoded);
  return out;
}

std::string issue_hs256_now(std::string_view secret, std::int64_t ttl_seconds) {
  return issue_hs256(secret, system_now(), ttl_seconds);
}

}  // namespace mediaflow::protocol
