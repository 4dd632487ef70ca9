#include <mediaflow/protocol/twilio_signature.hpp>

#include <gtest/gtest.h>

using mediaflow::protocol::FormParams;
using mediaflow::protocol::twilio_signature;
using mediaflow::protocol::twilio_signature_valid;

namespace {

// Twilio's published example (docs "Validating requests", twilio-node/api-snippets):
// auth token 12345, this URL and these POST parameters sign to GvWf1cFY/Q7PnoempGyD5oXAezc=.
constexpr std::string_view kAuthToken = "12345";
constexpr std::string_view kUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";
constexpr std::string_view kExpected = "GvWf1cFY/Q7PnoempGyD5oXAezc=";

FormParams example_params() {
  // Deliberately not in sorted order: the signer must sort.
  return {{"To", "+18005551212"},
          {"CallSid", "CA1234567890ABCDE"},
          {"From", "+14158675310"},
          {"Digits", "1234"},
          {"Caller", "+14158675310"}};
}

}  // namespace

TEST(WebhookSignature, MatchesTwiliosPublishedExample) {
  EXPECT_EQ(twilio_signature(kAuthToken, kUrl, example_params()), kExpected);
  EXPECT_TRUE(twilio_signature_valid(kAuthToken, kExpected, kUrl, example_params()));
}

TEST(WebhookSignature, RefusesWrongMissingOrForeignSignatures) {
  EXPECT_FALSE(twilio_signature_valid(kAuthToken, "", kUrl, example_params()));
  EXPECT_FALSE(twilio_signature_valid(kAuthToken, "GvWf1cFY/Q7PnoempGyD5oXAezd=", kUrl, example_params()));
  EXPECT_FALSE(twilio_signature_valid(kAuthToken, "GvWf1cFY/Q7PnoempGyD5oXAez", kUrl, example_params()));
  EXPECT_FALSE(twilio_signature_valid("54321", kExpected, kUrl, example_params()));
  EXPECT_FALSE(twilio_signature_valid("", kExpected, kUrl, example_params()));
}

TEST(WebhookSignature, RefusesTamperedParametersOrUrl) {
  auto params = example_params();
  params[3].second = "9999";  // Digits
  EXPECT_FALSE(twilio_signature_valid(kAuthToken, kExpected, kUrl, params));
  auto extra = example_params();
  extra.emplace_back("pipeline", "agent");
  EXPECT_FALSE(twilio_signature_valid(kAuthToken, kExpected, kUrl, extra));
  EXPECT_FALSE(twilio_signature_valid(kAuthToken, kExpected,
                                      "https://mycompany.com/myapp.php?foo=1&bar=3", example_params()));
  EXPECT_FALSE(twilio_signature_valid(kAuthToken, kExpected,
                                      "http://mycompany.com/myapp.php?foo=1&bar=2", example_params()));
}

TEST(WebhookSignature, AcceptsUrlWithOrWithoutDefaultPort) {
  // Signed without a port, received with :443 (and the reverse), as twilio-node accepts.
  EXPECT_TRUE(twilio_signature_valid(kAuthToken, kExpected,
                                     "https://mycompany.com:443/myapp.php?foo=1&bar=2", example_params()));
  const std::string with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
  const std::string sig_with_port = twilio_signature(kAuthToken, with_port, example_params());
  EXPECT_NE(sig_with_port, kExpected);
  EXPECT_TRUE(twilio_signature_valid(kAuthToken, sig_with_port, kUrl, example_params()));
  // http and :80 likewise; another port is another URL.
  const std::string http = "http://example.org/voice";
  const std::string sig_http = twilio_signature(kAuthToken, http, {});
  EXPECT_TRUE(twilio_signature_valid(kAuthToken, sig_http, "http://example.org:80/voice", {}));
  EXPECT_FALSE(twilio_signature_valid(kAuthToken, sig_http, "http://example.org:8080/voice", {}));
  EXPECT_FALSE(twilio_signature_valid(kAuthToken, kExpected,
                                      "https://mycompany.com:8443/myapp.php?foo=1&bar=2", example_params()));
}

TEST(WebhookSignature, ConstantTimeEqualsIsPlainEquality) {
  using mediaflow::protocol::constant_time_equals;
  EXPECT_TRUE(constant_time_equals("", ""));
  EXPECT_TRUE(constant_time_equals("abc", "abc"));
  EXPECT_FALSE(constant_time_equals("abc", "abd"));
  EXPECT_FALSE(constant_time_equals("abc", "abcd"));
  EXPECT_FALSE(constant_time_equals("abc", ""));
  EXPECT_FALSE(constant_time_equals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}
