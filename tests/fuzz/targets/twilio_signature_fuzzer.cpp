// POST /twilio/voice: the form body and query (server::parse_form), the X-Twilio-Signature
// check and the whole webhook handler, all on bytes an outside caller sends. Properties: a
// signature made with the auth token validates, one made with another token does not, and the
// handler answers 200 only to a request whose signature validates.
#include "fuzz_check.hpp"

#include <mediaflow/protocol/twilio_signature.hpp>
#include <mediaflow/server/twiml.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

namespace proto = mediaflow::protocol;
namespace server = mediaflow::server;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  const bool with_secret = input.ConsumeBool();
  // 0: the signature header as sent; 1: Twilio's signature of this request; 2: another token's.
  const int signature_mode = input.ConsumeIntegralInRange(0, 2);
  std::string signature = input.ConsumeRandomLengthString(64);
  const std::string path = input.ConsumeRandomLengthString(64);
  const std::string query = input.ConsumeRandomLengthString(256);
  const std::string host = input.ConsumeRandomLengthString(64);
  const std::string body = input.ConsumeRemainingBytesAsString();

  server::WebhookConfig config;
  config.twilio_auth_token = "12345";
  config.static_token = "static token/with spaces";
  if (with_secret) config.shared_secret = "fuzzing-secret-0123456789";

  server::WebhookRequest request;
  request.path = path;
  request.raw_query = query;
  request.host = host;
  request.form = server::parse_form(body);
  (void)server::parse_form(query);

  const auto base = server::public_base(config.public_base_url, host);
  std::string url;
  bool signature_is_twilios = false;
  if (base) {
    url = server::webhook_url(*base, path, query);
    const std::string good = proto::twilio_signature(config.twilio_auth_token, url, request.form);
    FUZZ_CHECK(proto::twilio_signature_valid(config.twilio_auth_token, good, url, request.form),
               "the auth token's own signature does not validate");
    const std::string other = proto::twilio_signature("54321", url, request.form);
    FUZZ_CHECK(other == good || !proto::twilio_signature_valid(config.twilio_auth_token, other, url, request.form),
               "another token's signature validates");
    if (signature_mode == 1) signature = good;
    if (signature_mode == 2) signature = other;
    signature_is_twilios = signature == good;
  }
  request.signature = signature;

  const server::WebhookResponse response = server::handle_voice_webhook(config, request, 1'700'000'000);
  if (!base) {
    FUZZ_CHECK(response.status == 500, "answered without knowing the URL Twilio signed");
    return 0;
  }
  if (signature_is_twilios) FUZZ_CHECK(response.status == 200, "Twilio's own signature refused");
  if (response.status != 200) {
    FUZZ_CHECK(response.status == 403, "a refusal other than 403");
    return 0;
  }
  FUZZ_CHECK(proto::twilio_signature_valid(config.twilio_auth_token, signature, url, request.form),
             "200 for a signature that does not validate");
  FUZZ_CHECK(response.body.find("<Response>") != std::string::npos, "200 without TwiML");
  return 0;
}
