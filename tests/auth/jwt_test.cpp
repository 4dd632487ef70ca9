#include <mediaflow/protocol/jwt.hpp>

#include "auth/jwt_forge.hpp"
#include "support/paths.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using mediaflow::protocol::issue_hs256;
using mediaflow::protocol::JwtStatus;
using mediaflow::protocol::verify_hs256;
using mediaflow::test::b64url;
using mediaflow::test::forge_jwt;
using mediaflow::test::hs256_header;

namespace {

constexpr std::int64_t kNow = 1700000000;
constexpr std::string_view kSecret = "s3cret-shared-between-host-and-webhook";

std::string claims(std::string_view extra = "") {
  std::string c = R"({"aud":"media","iat":)" + std::to_string(kNow) +
                  R"(,"exp":)" + std::to_string(kNow + 120);
  if (!extra.empty()) c += "," + std::string(extra);
  return c + "}";
}

std::string payload_with(std::string_view members) { return "{" + std::string(members) + "}"; }

std::string exp_ok() { return "\"exp\":" + std::to_string(kNow + 120); }

}  // namespace

TEST(AuthJwt, AcceptsValidHs256Token) {
  EXPECT_EQ(verify_hs256(forge_jwt(hs256_header(), claims(), kSecret), kSecret, kNow), JwtStatus::ok);
}

TEST(AuthJwt, AcceptsMissingAudAndAudArrayHoldingMedia) {
  EXPECT_EQ(verify_hs256(forge_jwt(hs256_header(), payload_with(exp_ok()), kSecret), kSecret, kNow),
            JwtStatus::ok);
  auto token = forge_jwt(hs256_header(), payload_with(exp_ok() + R"(,"aud":["other","media"])"), kSecret);
  EXPECT_EQ(verify_hs256(token, kSecret, kNow), JwtStatus::ok);
}

TEST(AuthJwt, PublishedHs256VectorSignatureVerifiesButLacksExp) {
  // jwt.io's example token (HS256, secret "your-256-bit-secret", claims sub/name/iat, no exp):
  // the signature must verify, and the token must still be refused for the missing exp.
  const std::string token =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
      "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
      "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
  EXPECT_EQ(verify_hs256(token, "your-256-bit-secret", kNow), JwtStatus::missing_exp);
  EXPECT_EQ(verify_hs256(token, "another-secret", kNow), JwtStatus::bad_signature);
}

TEST(AuthJwt, RefusesExpiredAndMissingExp) {
  auto at = [](std::int64_t exp) {
    return forge_jwt(hs256_header(), payload_with("\"exp\":" + std::to_string(exp)), kSecret);
  };
  EXPECT_EQ(verify_hs256(at(kNow - 1), kSecret, kNow), JwtStatus::expired);
  EXPECT_EQ(verify_hs256(at(kNow), kSecret, kNow), JwtStatus::expired);  // exp must be in the future
  EXPECT_EQ(verify_hs256(at(kNow + 1), kSecret, kNow), JwtStatus::ok);
  EXPECT_EQ(verify_hs256(forge_jwt(hs256_header(), R"({"aud":"media"})", kSecret), kSecret, kNow),
            JwtStatus::missing_exp);
  EXPECT_EQ(verify_hs256(forge_jwt(hs256_header(), R"({"exp":"tomorrow"})", kSecret), kSecret, kNow),
            JwtStatus::missing_exp);
}

TEST(AuthJwt, RefusesWrongAudience) {
  for (std::string aud : {R"("other")", R"(["other","x"])", R"(5)", R"("Media")", R"([])"}) {
    auto token = forge_jwt(hs256_header(), payload_with(exp_ok() + ",\"aud\":" + aud), kSecret);
    EXPECT_EQ(verify_hs256(token, kSecret, kNow), JwtStatus::wrong_audience) << aud;
  }
}

TEST(AuthJwt, IatBeyondSixtySecondsInFutureRefusedWithinLeewayAccepted) {
  auto with_iat = [](std::int64_t iat) {
    return forge_jwt(hs256_header(),
                     payload_with("\"exp\":" + std::to_string(kNow + 600) +
                                  ",\"iat\":" + std::to_string(iat)),
                     kSecret);
  };
  EXPECT_EQ(verify_hs256(with_iat(kNow + 60), kSecret, kNow), JwtStatus::ok);
  EXPECT_EQ(verify_hs256(with_iat(kNow + 30), kSecret, kNow), JwtStatus::ok);
  EXPECT_EQ(verify_hs256(with_iat(kNow + 61), kSecret, kNow), JwtStatus::iat_in_future);
  EXPECT_EQ(verify_hs256(with_iat(kNow + 3600), kSecret, kNow), JwtStatus::iat_in_future);
}

TEST(AuthJwt, NbfFarInFutureRefused) {
  auto token = forge_jwt(hs256_header(), claims("\"nbf\":" + std::to_string(kNow + 90)), kSecret);
  EXPECT_EQ(verify_hs256(token, kSecret, kNow), JwtStatus::not_yet_valid);
}

TEST(AuthJwt, RefusesAlgNoneInEveryForm) {
  for (std::string alg : {"none", "None", "NONE", ""}) {
    std::string header = R"({"alg":")" + alg + R"(","typ":"JWT"})";
    std::string unsigned_token = b64url(header) + "." + b64url(claims()) + ".";
    EXPECT_EQ(verify_hs256(unsigned_token, kSecret, kNow), JwtStatus::alg_not_allowed) << alg;
    // Even carrying a valid HS256 signature, a header that says none is refused.
    EXPECT_EQ(verify_hs256(forge_jwt(header, claims(), kSecret), kSecret, kNow),
              JwtStatus::alg_not_allowed)
        << alg;
  }
}

TEST(AuthJwt, RefusesOtherAlgorithmsEvenWhenSignedWithTheSecret) {
  auto hs384 = forge_jwt(R"({"alg":"HS384","typ":"JWT"})", claims(), kSecret, G_CHECKSUM_SHA384);
  EXPECT_EQ(verify_hs256(hs384, kSecret, kNow), JwtStatus::alg_not_allowed);
  auto hs512 = forge_jwt(R"({"alg":"HS512","typ":"JWT"})", claims(), kSecret, G_CHECKSUM_SHA512);
  EXPECT_EQ(verify_hs256(hs512, kSecret, kNow), JwtStatus::alg_not_allowed);
  // Algorithm confusion: RS256 header, HMAC made with the shared secret as if it were a key.
  auto rs256 = forge_jwt(R"({"alg":"RS256","typ":"JWT"})", claims(), kSecret);
  EXPECT_EQ(verify_hs256(rs256, kSecret, kNow), JwtStatus::alg_not_allowed);
  auto missing_alg = forge_jwt(R"({"typ":"JWT"})", claims(), kSecret);
  EXPECT_EQ(verify_hs256(missing_alg, kSecret, kNow), JwtStatus::malformed);
}

TEST(AuthJwt, RefusesWrongKeyAndTampering) {
  const std::string good = forge_jwt(hs256_header(), claims(), kSecret);
  EXPECT_EQ(verify_hs256(forge_jwt(hs256_header(), claims(), "not-the-secret"), kSecret, kNow),
            JwtStatus::bad_signature);

  // Payload swapped for one with a later exp and another audience, signature kept.
  const auto dot1 = good.find('.');
  const auto dot2 = good.rfind('.');
  std::string forged_claims = R"({"aud":"media","exp":)" + std::to_string(kNow + 999999) + "}";
  std::string tampered = good.substr(0, dot1 + 1) + b64url(forged_claims) + good.substr(dot2);
  EXPECT_EQ(verify_hs256(tampered, kSecret, kNow), JwtStatus::bad_signature);

  std::string flipped = good;
  flipped[dot2 + 3] = flipped[dot2 + 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify_hs256(flipped, kSecret, kNow), JwtStatus::bad_signature);

  std::string truncated = good.substr(0, dot2 + 1);
  EXPECT_EQ(verify_hs256(truncated, kSecret, kNow), JwtStatus::bad_signature);
}

TEST(AuthJwt, MalformedTokensAreRefusedWithoutCrash) {
  for (const std::string& bad : std::vector<std::string>{"", "abc", "a.b", "a.b.c.d", "...", "!!!.???.***",
                          b64url("not json") + "." + b64url(claims()) + ".sig",
                          b64url(hs256_header()) + "." + b64url("[1,2]") + ".sig",
                          b64url("\"HS256\"") + "." + b64url(claims()) + ".sig"}) {
    EXPECT_EQ(verify_hs256(bad, kSecret, kNow), JwtStatus::malformed) << bad;
  }
  auto crit = forge_jwt(R"({"alg":"HS256","crit":["exp"]})", claims(), kSecret);
  EXPECT_EQ(verify_hs256(crit, kSecret, kNow), JwtStatus::malformed);
}

TEST(AuthJwt, EmptySecretRefusesEverything) {
  auto token = forge_jwt(hs256_header(), claims(), "");
  EXPECT_EQ(verify_hs256(token, "", kNow), JwtStatus::no_secret);
}

TEST(AuthJwt, IssuedTokenVerifiesForAtMostFiveMinutes) {
  const std::string token = issue_hs256(kSecret, kNow, 300);
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(verify_hs256(token, kSecret, kNow), JwtStatus::ok);
  EXPECT_EQ(verify_hs256(token, kSecret, kNow + 299), JwtStatus::ok);
  EXPECT_EQ(verify_hs256(token, kSecret, kNow + 300), JwtStatus::expired);
  EXPECT_EQ(verify_hs256(token, "other", kNow), JwtStatus::bad_signature);

  // A requested TTL beyond five minutes is clamped.
  const std::string long_lived = issue_hs256(kSecret, kNow, 3600);
  EXPECT_EQ(verify_hs256(long_lived, kSecret, kNow + 301), JwtStatus::expired);
  EXPECT_TRUE(issue_hs256("", kNow, 300).empty());
}

TEST(AuthJwt, IssuedTokenCarriesHs256HeaderAndMediaAudience) {
  const std::string token = issue_hs256(kSecret, kNow, 120);
  const auto dot1 = token.find('.');
  const auto dot2 = token.rfind('.');
  // Rebuild the expected signature independently: libjwt's output must be a plain HS256 JWS.
  std::string signing_input = token.substr(0, dot2);
  EXPECT_EQ(token.substr(dot2 + 1),
            b64url(mediaflow::test::hmac_raw(G_CHECKSUM_SHA256, kSecret, signing_input)));
  std::string b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  for (char& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (b64.size() % 4) b64 += '=';
  gsize len = 0;
  guchar* raw = g_base64_decode(b64.c_str(), &len);
  std::string payload(reinterpret_cast<char*>(raw), len);
  g_free(raw);
  EXPECT_NE(payload.find(R"("aud":"media")"), std::string::npos) << payload;
  EXPECT_NE(payload.find("\"exp\":" + std::to_string(kNow + 120)), std::string::npos) << payload;
  EXPECT_NE(payload.find("\"iat\":" + std::to_string(kNow)), std::string::npos) << payload;
}

// Fuzzer findings (tests/fuzz/regressions/jwt).
TEST(AuthJwt, ATokenFollowedByNulAndAnythingIsRefused) {
  const std::string saved = mediaflow::test::fuzz_regression("jwt", "valid_token_then_nul_and_junk");
  const std::string token = saved.substr(0, saved.find('\0'));
  ASSERT_LT(token.size(), saved.size());
  EXPECT_EQ(verify_hs256(token, kSecret, kNow), JwtStatus::ok) << "the saved token itself is valid";
  EXPECT_EQ(verify_hs256(saved, kSecret, kNow), JwtStatus::malformed);
  const std::string good = forge_jwt(hs256_header(), claims(), kSecret);
  for (const std::string& tail : {std::string("\0", 1), std::string("\0x", 2), std::string(" "), std::string("\n")})
    EXPECT_EQ(verify_hs256(good + tail, kSecret, kNow), JwtStatus::malformed);
}

TEST(AuthJwt, DeeplyNestedClaimsAreMalformed) {
  EXPECT_EQ(verify_hs256(mediaflow::test::fuzz_regression("jwt", "payload_nested_5000_deep"), kSecret, kNow),
            JwtStatus::malformed);
}
