// Twilio Media Streams messages as the host reads them off a caller's WebSocket. The parser is
// reused across messages as on a call (it keeps warm buffers), so every input is parsed twice:
// the second parse must agree with the first. A media payload is decoded as twiliosrc does, and
// its bytes must survive a re-encode.
#include "fuzz_check.hpp"

#include <mediaflow/protocol/twilio_envelope.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace twilio = mediaflow::protocol::twilio;

namespace {

void check_media_payload(std::string_view b64) {
  std::vector<std::uint8_t> bytes(twilio::base64_decoded_max(b64.size()));
  const auto n = twilio::decode_base64(b64, bytes);
  if (!n) return;
  FUZZ_CHECK(*n <= bytes.size(), "decode_base64 wrote past its bound");
  bytes.resize(*n);
  std::string again;
  twilio::append_base64(again, bytes);
  std::vector<std::uint8_t> round(twilio::base64_decoded_max(again.size()));
  const auto m = twilio::decode_base64(again, round);
  FUZZ_CHECK(m && *m == bytes.size(), "our own base64 does not decode");
  round.resize(*m);
  FUZZ_CHECK(round == bytes, "base64 round trip changed the audio");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static twilio::TwilioEnvelopeParser parser;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const twilio::InboundMessage first = parser.parse(text);
  FUZZ_CHECK(twilio::event_kind_name(first.kind) != nullptr, "kind without a name");
  FUZZ_CHECK(first.error != nullptr, "null error text");
  const twilio::EventKind kind = first.kind;
  const std::string event(first.event);
  const std::string payload(first.media.payload_base64);
  if (kind == twilio::EventKind::kMedia) check_media_payload(payload);

  const twilio::InboundMessage second = parser.parse(text);
  FUZZ_CHECK(second.kind == kind, "a reused parser read the same message differently");
  FUZZ_CHECK(second.event == event, "a reused parser read another event name");
  FUZZ_CHECK(second.media.payload_base64 == payload, "a reused parser read another payload");
  return 0;
}
