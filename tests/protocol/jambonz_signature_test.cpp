// The Jambonz-Signature header of jambonz webhooks: a vector computed outside this code base,
// the tolerance both ways, tampering of every part, several v1 values, and malformed headers.
#include <mediaflow/protocol/jambonz_signature.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <cctype>
#include <limits>
#include <set>
#include <string>

namespace jz = mediaflow::protocol::jambonz;
using jz::SignatureVerdict;

namespace {

// Computed with Python's hmac module:
//   hmac.new(b'wh_secret_3f9a', b'1735689600.' + body, hashlib.sha256).hexdigest()
constexpr const char* kSecret = "wh_secret_3f9a";
constexpr std::int64_t kT = 1735689600;
constexpr const char* kBody =
    R"({"call_sid":"b7d4c3a2-0f1e-4d5c-9b8a-7e6f5d4c3b2a","direction":"inbound","from":"+15551234567","to":"+15557654321"})";
constexpr const char* kV1 = "0a54e4b6d69329557f02f7f0d146b8b7a1e703f8608322d9e0bbab6e92b36aff";
// The same secret and timestamp over an empty body.
constexpr const char* kV1EmptyBody = "3e2665af85c50909f9a323e3858cd4d08c26f1632fe853fa4dc5e7da041c6215";

const std::string kHeader = std::string("t=1735689600,v1=") + kV1;

SignatureVerdict verify(const std::string& header, const std::string& body = kBody, std::int64_t now = kT,
                        const std::string& secret = kSecret) {
  return jz::verify_jambonz_signature(header, body, secret, now);
}

}  // namespace

TEST(JambonzSignature, MatchesAVectorComputedElsewhere) {
  EXPECT_EQ(jz::jambonz_signature(kBody, kSecret, kT), kV1);
  EXPECT_EQ(jz::jambonz_signature("", kSecret, kT), kV1EmptyBody);
  EXPECT_EQ(jz::jambonz_signature_header(kBody, kSecret, kT), kHeader);
}

TEST(JambonzSignature, AcceptsJambonzsHeaderWithinTheToleranceBothWays) {
  EXPECT_EQ(verify(kHeader), SignatureVerdict::kValid);
  EXPECT_EQ(verify(kHeader, kBody, kT + 300), SignatureVerdict::kValid);
  EXPECT_EQ(verify(kHeader, kBody, kT - 300), SignatureVerdict::kValid);
  EXPECT_EQ(verify(std::string("t=1735689600,v1=") + kV1EmptyBody, ""), SignatureVerdict::kValid);
}

TEST(JambonzSignature, RefusesAnExpiredOrFutureTimestamp) {
  EXPECT_EQ(verify(kHeader, kBody, kT + 301), SignatureVerdict::kOutsideTolerance);
  EXPECT_EQ(verify(kHeader, kBody, kT - 301), SignatureVerdict::kOutsideTolerance);
  EXPECT_EQ(verify(kHeader, kBody, 0), SignatureVerdict::kOutsideTolerance);
  EXPECT_EQ(verify(kHeader, kBody, std::numeric_limits<std::int64_t>::min()), SignatureVerdict::kOutsideTolerance);
  EXPECT_EQ(verify(kHeader, kBody, std::numeric_limits<std::int64_t>::max()), SignatureVerdict::kOutsideTolerance);
  // The tolerance is the caller's: 0 means this very second, a negative one accepts nothing.
  EXPECT_EQ(jz::verify_jambonz_signature(kHeader, kBody, kSecret, kT, 0), SignatureVerdict::kValid);
  EXPECT_EQ(jz::verify_jambonz_signature(kHeader, kBody, kSecret, kT + 1, 0), SignatureVerdict::kOutsideTolerance);
  EXPECT_EQ(jz::verify_jambonz_signature(kHeader, kBody, kSecret, kT, -1), SignatureVerdict::kOutsideTolerance);
  EXPECT_EQ(jz::verify_jambonz_signature(kHeader, kBody, kSecret, kT + 3600, 7200), SignatureVerdict::kValid);
}

TEST(JambonzSignature, RefusesATamperedBodyTimestampOrSignature) {
  std::string body = kBody;
  body[body.find("inbound")] = 'I';
  EXPECT_EQ(verify(kHeader, body), SignatureVerdict::kMismatch);
  EXPECT_EQ(verify(kHeader, std::string(kBody) + "\n"), SignatureVerdict::kMismatch);
  EXPECT_EQ(verify(kHeader, std::string(kBody).substr(1)), SignatureVerdict::kMismatch);
  // Re-dated: the signature covers the timestamp.
  EXPECT_EQ(verify(std::string("t=1735689601,v1=") + kV1, kBody, kT + 1), SignatureVerdict::kMismatch);
  // Another secret, one flipped hex digit, a cut or extended signature.
  EXPECT_EQ(verify(kHeader, kBody, kT, "wh_secret_3f9b"), SignatureVerdict::kMismatch);
  std::string flipped = kHeader;
  flipped.back() = flipped.back() == 'f' ? 'e' : 'f';
  EXPECT_EQ(verify(flipped), SignatureVerdict::kMismatch);
  EXPECT_EQ(verify(kHeader.substr(0, kHeader.size() - 1)), SignatureVerdict::kMismatch);
  EXPECT_EQ(verify(kHeader + "0"), SignatureVerdict::kMismatch);
  EXPECT_EQ(verify("t=1735689600,v1="), SignatureVerdict::kMismatch);
}

TEST(JambonzSignature, HexIsComparedAsJambonzWritesIt) {
  // jambonz writes lower-case hex and its verifier compares bytes: upper case does not match.
  std::string upper = kHeader;
  for (std::size_t i = upper.find("v1=") + 3; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  ASSERT_NE(upper, kHeader);
  EXPECT_EQ(verify(upper), SignatureVerdict::kMismatch);
}

TEST(JambonzSignature, AcceptsAnyOfSeveralV1Values) {
  const std::string other(64, 'a');
  EXPECT_EQ(verify("t=1735689600,v1=" + other + ",v1=" + kV1), SignatureVerdict::kValid);
  EXPECT_EQ(verify(std::string("t=1735689600,v1=") + kV1 + ",v1=" + other), SignatureVerdict::kValid);
  EXPECT_EQ(verify(std::string("v1=") + kV1 + ",t=1735689600"), SignatureVerdict::kValid);  // any order
  EXPECT_EQ(verify("t=1735689600,v1=" + other + ",v1=" + other), SignatureVerdict::kMismatch);
  // Other schemes are ignored: a v0 holding the right value does not count.
  EXPECT_EQ(verify(std::string("t=1735689600,v0=") + kV1), SignatureVerdict::kNoV1Signature);
  EXPECT_EQ(verify(std::string("t=1735689600,v0=") + other + ",v1=" + kV1), SignatureVerdict::kValid);
  // At most kMaxSignatureV1Values of them.
  std::string many = "t=1735689600";
  for (std::size_t i = 0; i < jz::kMaxSignatureV1Values; ++i) many += ",v1=" + other;
  EXPECT_EQ(verify(many), SignatureVerdict::kMismatch);
  EXPECT_EQ(verify(many + ",v1=" + kV1), SignatureVerdict::kMalformedHeader);
}

TEST(JambonzSignature, ToleratesSpacesAroundItems) {
  EXPECT_EQ(verify(std::string(" t=1735689600 , v1=") + kV1 + " "), SignatureVerdict::kValid);
  EXPECT_EQ(verify(kHeader + ","), SignatureVerdict::kValid);
}

TEST(JambonzSignature, RefusesMalformedHeaders) {
  const std::string v1 = std::string(",v1=") + kV1;
  for (const std::string& header : {std::string("garbage"), std::string(kV1), "v1=" + std::string(kV1),
                                   "t=" + v1, "t=abc" + v1, "t=-1735689600" + v1, "t=+1735689600" + v1,
                                   "t=1735689600.0" + v1, "t= 1735689600" + v1, "t=1735689600,t=1735689600" + v1,
                                   "t=1735689600123" + v1, "t=1735689600,junk" + v1,
                                   "t=1735689600" + v1 + "," + std::string(jz::kMaxSignatureHeaderBytes, 'x')})
    EXPECT_EQ(verify(header), SignatureVerdict::kMalformedHeader) << header;
}

TEST(JambonzSignature, RefusesWithoutAHeaderOrASecret) {
  EXPECT_EQ(verify(""), SignatureVerdict::kMissingHeader);
  EXPECT_EQ(verify("  "), SignatureVerdict::kMissingHeader);
  EXPECT_EQ(verify(kHeader, kBody, kT, ""), SignatureVerdict::kNoSecret);
  EXPECT_EQ(verify("t=1735689600", kBody), SignatureVerdict::kNoV1Signature);
}

TEST(JambonzSignature, EveryVerdictHasADistinctReason) {
  std::set<std::string> reasons;
  for (SignatureVerdict v : {SignatureVerdict::kValid, SignatureVerdict::kNoSecret, SignatureVerdict::kMissingHeader,
                             SignatureVerdict::kMalformedHeader, SignatureVerdict::kNoV1Signature,
                             SignatureVerdict::kMismatch, SignatureVerdict::kOutsideTolerance})
    reasons.insert(jz::signature_verdict_text(v));
  EXPECT_EQ(reasons.size(), 7u);
  EXPECT_EQ(reasons.count("?"), 0u);
}
