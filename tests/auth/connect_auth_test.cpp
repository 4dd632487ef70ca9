#include <mediaflow/server/auth.hpp>

#include "auth/jwt_forge.hpp"

#include <gtest/gtest.h>

#include <string>

using mediaflow::server::AuthConfig;
using mediaflow::server::AuthDecision;
using mediaflow::server::authorize_connect;
using mediaflow::server::ConnectRequest;
using mediaflow::server::TokenSource;
using mediaflow::test::forge_jwt;
using mediaflow::test::hs256_header;

namespace mediaflow::server {
inline void PrintTo(TokenSource source, std::ostream* os) { *os << to_string(source); }
}  // namespace mediaflow::server

namespace {

constexpr std::int64_t kNow = 1700000000;
constexpr std::string_view kWsPath = "/rtm/voice";
const std::string kSecret = "shared-secret-for-tests";
const std::string kStatic = "static-token-0123456789";

std::string jwt_claims(std::int64_t exp, std::string_view extra = "") {
  std::string c = R"({"exp":)" + std::to_string(exp);
  if (!extra.empty()) c += "," + std::string(extra);
  return c + "}";
}
std::string valid_jwt() { return forge_jwt(hs256_header(), jwt_claims(kNow + 60, R"("aud":"media")"), kSecret); }

// Presents one token in one of the three positions and asks for the decision.
class AuthConnect : public ::testing::TestWithParam<TokenSource> {
 protected:
  AuthDecision present(const AuthConfig& config, const std::string& token) {
    path_ = std::string(kWsPath);
    ConnectRequest req;
    switch (GetParam()) {
      case TokenSource::path: path_ += "/jwt/" + token; break;
      case TokenSource::query: req.query_token = token; break;
      case TokenSource::header: req.header_token = token; break;
      case TokenSource::none: break;
      case TokenSource::basic: ADD_FAILURE() << "HTTP Basic carries credentials, not a token"; break;
    }
    req.path = path_;
    return authorize_connect(config, kWsPath, req, kNow);
  }
  void expect_allowed(const AuthConfig& config, const std::string& token) {
    auto d = present(config, token);
    EXPECT_TRUE(d.allowed) << d.reason;
    EXPECT_EQ(d.source, GetParam());
  }
  void expect_denied(const AuthConfig& config, const std::string& token, std::string_view reason) {
    auto d = present(config, token);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.reason, reason);
  }
  std::string path_;
};

AuthConfig jwt_mode() { return AuthConfig{.shared_secret = kSecret}; }
AuthConfig static_mode() { return AuthConfig{.static_token = kStatic}; }
AuthConfig both_modes() { return AuthConfig{.static_token = kStatic, .shared_secret = kSecret}; }

}  // namespace

TEST_P(AuthConnect, JwtModeAcceptsValidToken) {
  expect_allowed(jwt_mode(), valid_jwt());
  expect_allowed(both_modes(), valid_jwt());
}

TEST_P(AuthConnect, JwtModeRefusesExpiredWrongAudienceAndFutureIat) {
  for (auto config : {jwt_mode(), both_modes()}) {
    expect_denied(config, forge_jwt(hs256_header(), jwt_claims(kNow - 5), kSecret), "expired");
    expect_denied(config, forge_jwt(hs256_header(), jwt_claims(kNow + 60, R"("aud":"api")"), kSecret),
                  "wrong_audience");
    expect_denied(config,
                  forge_jwt(hs256_header(), jwt_claims(kNow + 600, "\"iat\":" + std::to_string(kNow + 61)), kSecret),
                  "iat_in_future");
    expect_allowed(config, forge_jwt(hs256_header(),
                                     jwt_claims(kNow + 600, "\"iat\":" + std::to_string(kNow + 60)), kSecret));
    expect_denied(config, forge_jwt(hs256_header(), R"({"aud":"media"})", kSecret), "missing_exp");
  }
}

TEST_P(AuthConnect, JwtModeRefusesOtherAlgorithmsWrongKeyAndTampering) {
  const std::string claims = jwt_claims(kNow + 60);
  for (auto config : {jwt_mode(), both_modes()}) {
    expect_denied(config,
                  mediaflow::test::b64url(R"({"alg":"none"})") + "." + mediaflow::test::b64url(claims) + ".",
                  "alg_not_allowed");
    expect_denied(config, forge_jwt(R"({"alg":"HS384"})", claims, kSecret, G_CHECKSUM_SHA384),
                  "alg_not_allowed");
    expect_denied(config, forge_jwt(R"({"alg":"RS256"})", claims, kSecret), "alg_not_allowed");
    expect_denied(config, forge_jwt(hs256_header(), claims, "wrong-key"), "bad_signature");
    // Claims swapped for a longer-lived set, signature kept.
    const std::string good = valid_jwt();
    std::string tampered = good.substr(0, good.find('.') + 1) +
                           mediaflow::test::b64url(jwt_claims(kNow + 86400, R"("aud":"media")")) +
                           good.substr(good.rfind('.'));
    expect_denied(config, tampered, "bad_signature");
  }
  // With only a secret configured, the static token of another deployment is just malformed.
  expect_denied(jwt_mode(), kStatic, "malformed");
}

TEST_P(AuthConnect, StaticModeAcceptsExactTokenOnly) {
  expect_allowed(static_mode(), kStatic);
  expect_allowed(both_modes(), kStatic);
  expect_denied(static_mode(), kStatic + "x", "bad_token");
  expect_denied(static_mode(), kStatic.substr(0, kStatic.size() - 1), "bad_token");
  expect_denied(static_mode(), "STATIC-TOKEN-0123456789", "bad_token");
  expect_denied(both_modes(), "guess", "bad_token");
  // A JWT is not the static token, and with no secret it cannot be verified at all.
  expect_denied(static_mode(), valid_jwt(), "bad_token");
}

INSTANTIATE_TEST_SUITE_P(Positions, AuthConnect,
                         ::testing::Values(TokenSource::path, TokenSource::query, TokenSource::header),
                         [](const auto& info) { return std::string(mediaflow::server::to_string(info.param)); });

TEST(AuthConnectRules, MissingTokenRefusedInEveryMode) {
  for (auto config : {jwt_mode(), static_mode(), both_modes()}) {
    ConnectRequest req{.path = "/rtm/voice"};
    auto d = authorize_connect(config, kWsPath, req, kNow);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.reason, "missing_token");
    req.query_token = "";
    req.header_token = "";
    req.path = "/rtm/voice/jwt/";
    EXPECT_EQ(authorize_connect(config, kWsPath, req, kNow).reason, "missing_token");
  }
}

TEST(AuthConnectRules, NoConfigurationAllowsEveryone) {
  AuthConfig none;
  EXPECT_FALSE(none.enabled());
  ConnectRequest req{.path = "/rtm/voice"};
  EXPECT_TRUE(authorize_connect(none, kWsPath, req, kNow).allowed);
  req.path = "/rtm/voice/jwt/anything";
  EXPECT_TRUE(authorize_connect(none, kWsPath, req, kNow).allowed);
}

TEST(AuthConnectRules, PathTokenTakesPrecedenceOverQueryAndHeader) {
  const std::string path_bad = "/rtm/voice/jwt/wrong";
  ConnectRequest req{.path = path_bad, .query_token = kStatic, .header_token = kStatic};
  auto d = authorize_connect(static_mode(), kWsPath, req, kNow);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.source, TokenSource::path);

  const std::string path_good = "/rtm/voice/jwt/" + kStatic;
  req = ConnectRequest{.path = path_good, .query_token = "wrong", .header_token = "wrong"};
  EXPECT_TRUE(authorize_connect(static_mode(), kWsPath, req, kNow).allowed);

  // Without a path token, the query beats the header.
  req = ConnectRequest{.path = "/rtm/voice", .query_token = "wrong", .header_token = kStatic};
  d = authorize_connect(static_mode(), kWsPath, req, kNow);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.source, TokenSource::query);
}

TEST(AuthConnectRules, ForeignPathsAreNotOurs) {
  for (std::string path : {"/rtm/voiceX", "/rtm", "/other", "/rtm/voice/jwt/a/b", "/rtm/voice/x"}) {
    ConnectRequest req{.path = path, .header_token = kStatic};
    auto d = authorize_connect(static_mode(), kWsPath, req, kNow);
    EXPECT_FALSE(d.allowed) << path;
    EXPECT_EQ(d.reason, "bad_path") << path;
  }
  auto m = mediaflow::server::match_ws_path("/rtm/voice/", "/rtm/voice/jwt/tok");
  EXPECT_TRUE(m.matches);
  EXPECT_EQ(m.token, "tok");
}

TEST(AuthConnectRules, PathAndQueryTokensArePercentDecoded) {
  AuthConfig config{.static_token = "a/b+c d"};
  ConnectRequest req{.path = "/rtm/voice/jwt/a%2Fb%2Bc%20d"};
  EXPECT_TRUE(authorize_connect(config, kWsPath, req, kNow).allowed);
  auto q = mediaflow::server::token_from_query("x=1&token=a%2Fb%2Bc+d&token=second");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(*q, "a/b+c d");
  EXPECT_FALSE(mediaflow::server::token_from_query("x=1&tokens=2").has_value());
  EXPECT_EQ(mediaflow::server::token_from_query("token"), "");
}

namespace {

// jambonz's wsAuth: HTTP Basic credentials a transport accepts (FORK_BASIC_AUTH=user:password).
std::string basic(const std::string& user_password) {
  gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(user_password.data()), user_password.size());
  std::string out = std::string("Basic ") + b64;
  g_free(b64);
  return out;
}

TEST(AuthConnectBasic, OnlyTheConfiguredCredentialsAreAcceptedAndRequired) {
  AuthConfig config;
  config.basic_credentials = "jambonz:s3cret:with-colon";
  EXPECT_TRUE(config.enabled());
  const std::string good = basic("jambonz:s3cret:with-colon");
  ConnectRequest req{.path = "/fork", .authorization = good};
  auto d = authorize_connect(config, "/fork", req, kNow);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.source, TokenSource::basic);
  const std::string wrong = basic("jambonz:s3cret");
  req.authorization = wrong;
  EXPECT_EQ(authorize_connect(config, "/fork", req, kNow).reason, "bad_credentials");
  req.authorization = "Bearer abc";
  EXPECT_EQ(authorize_connect(config, "/fork", req, kNow).reason, "bad_credentials");
  req.authorization.reset();  // nothing offered: refused, Basic is the only mode
  EXPECT_EQ(authorize_connect(config, "/fork", req, kNow).reason, "missing_token");
}

TEST(AuthConnectBasic, WithATokenModeEitherOneSuffices) {
  AuthConfig config = static_mode();
  config.basic_credentials = "u:p";
  const std::string good = basic("u:p"), wrong = basic("u:q");
  ConnectRequest by_basic{.path = "/fork", .authorization = good};
  EXPECT_TRUE(authorize_connect(config, "/fork", by_basic, kNow).allowed);
  ConnectRequest by_token{.path = "/fork", .query_token = kStatic, .authorization = wrong};
  EXPECT_TRUE(authorize_connect(config, "/fork", by_token, kNow).allowed) << "a wrong Basic header does not veto a good token";
  ConnectRequest neither{.path = "/fork", .authorization = wrong};
  EXPECT_FALSE(authorize_connect(config, "/fork", neither, kNow).allowed);
}

}  // namespace
