// POST /twilio/voice: the form body and query (transport::parse_form), the X-Twilio-Signature
// check and the whole webhook handler (the twilio plugin's answer_webhook, plain C++), all on
// bytes an outside caller sends. Properties: a signature made with the auth token validates,
// one made with another token does not, and the handler answers 200 only to a request whose
// signature validates.
#include "fuzz_check.hpp"

#include <mediaflow/protocol/jwt.hpp>
#include <mediaflow/protocol/twilio_signature.hpp>
#include <mediaflow/transport/webhook.hpp>

#include "twilio_webhook.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>
#include <vector>

namespace proto = mediaflow::protocol;
namespace transport = mediaflow::transport;

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

  const std::string auth_token = "12345";
  constexpr std::int64_t kNow = 1'700'000'000;
  // What the host gives the webhook: its settings and its token minting.
  transport::WebhookContext context;
  context.media_path = "/rtm/voice";
  context.now_unix = kNow;
  context.setting = [&](std::string_view name) -> std::optional<std::string> {
    if (name == "TWILIO_AUTH_TOKEN") return auth_token;
    return std::nullopt;
  };
  context.mint_token = [with_secret](std::int64_t ttl) -> std::optional<std::string> {
    if (!with_secret) return std::string("static token/with spaces");
    std::string jwt = proto::issue_hs256("fuzzing-secret-0123456789", kNow, ttl);
    if (jwt.empty()) return std::nullopt;
    return jwt;
  };

  const transport::FormParams form = transport::parse_form(body);
  (void)transport::parse_form(query);

  const auto base = transport::public_base(context.public_base_url, host);
  std::string url;
  bool signature_is_twilios = false;
  if (base) {
    url = transport::webhook_url(*base, path, query);
    const std::string good = proto::twilio_signature(auth_token, url, form);
    FUZZ_CHECK(proto::twilio_signature_valid(auth_token, good, url, form),
               "the auth token's own signature does not validate");
    const std::string other = proto::twilio_signature("54321", url, form);
    FUZZ_CHECK(other == good || !proto::twilio_signature_valid(auth_token, other, url, form),
               "another token's signature validates");
    if (signature_mode == 1) signature = good;
    if (signature_mode == 2) signature = other;
    signature_is_twilios = signature == good;
  }
  const std::vector<proto::http::Header> headers{{"Host", host}, {"X-Twilio-Signature", signature}};
  transport::WebhookRequest request;
  request.method = "POST";
  request.path = path;
  request.query = query;
  request.host = host;
  request.body = body;
  request.headers = headers;

  const transport::WebhookAnswer response = mediaflow::twilio_transport::answer_webhook(request, context);
  if (!base) {
    FUZZ_CHECK(response.status == 500, "answered without knowing the URL Twilio signed");
    return 0;
  }
  if (signature_is_twilios) FUZZ_CHECK(response.status == 200, "Twilio's own signature refused");
  if (response.status != 200) {
    FUZZ_CHECK(response.status == 403, "a refusal other than 403");
    return 0;
  }
  FUZZ_CHECK(proto::twilio_signature_valid(auth_token, signature, url, form),
             "200 for a signature that does not validate");
  FUZZ_CHECK(response.body.find("<Response>") != std::string::npos, "200 without TwiML");
  return 0;
}
