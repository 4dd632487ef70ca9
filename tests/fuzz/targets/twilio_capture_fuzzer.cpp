// Twilio capture files (`twiliosrc location=…`, wav2capture, the call simulator): JSON lines
// read as twiliosrc's replay loop reads them — lines cut at '\n', trailing CR/LF dropped, one
// parser reused for the whole file, media payloads decoded into a buffer of
// base64_decoded_max() bytes. The last input byte picks the other direction instead: the
// input's bytes as mu-law audio made into a capture by build_capture, which must read back as
// exactly that audio.
#include "fuzz_check.hpp"

#include <mediaflow/protocol/twilio_capture.hpp>
#include <mediaflow/protocol/twilio_envelope.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace twilio = mediaflow::protocol::twilio;

namespace {

// Replays a capture: the media audio it carries up to its stop; *all_payloads_valid is false
// when a media payload was not base64.
std::vector<std::uint8_t> replay(std::string_view capture, bool* all_payloads_valid) {
  static twilio::TwilioEnvelopeParser parser;  // reused as twiliosrc reuses its own
  std::vector<std::uint8_t> audio;
  *all_payloads_valid = true;
  while (!capture.empty()) {
    const std::size_t end = capture.find('\n');
    std::string_view line = capture.substr(0, end);
    capture = end == std::string_view::npos ? std::string_view() : capture.substr(end + 1);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty()) continue;
    const twilio::InboundMessage msg = parser.parse(line);
    if (msg.kind == twilio::EventKind::kStop) break;
    if (msg.kind != twilio::EventKind::kMedia) continue;
    const std::string_view b64 = msg.media.payload_base64;
    std::vector<std::uint8_t> frame(twilio::base64_decoded_max(b64.size()));
    const auto n = twilio::decode_base64(b64, frame);
    if (!n) {
      *all_payloads_valid = false;
      continue;
    }
    FUZZ_CHECK(*n <= frame.size(), "decoded past the buffer");
    audio.insert(audio.end(), frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  return audio;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool build_then_read = data[size - 1] == 0xB1;
  if (!build_then_read) {
    bool valid = false;
    replay(std::string_view(reinterpret_cast<const char*>(data), size), &valid);
    return 0;
  }
  const std::span<const std::uint8_t> mulaw(data, size - 1);
  twilio::CaptureOptions options;
  options.frame_ms = 1 + (size % 40);
  const std::string capture = twilio::build_capture(mulaw, options);
  bool valid = false;
  const std::vector<std::uint8_t> audio = replay(capture, &valid);
  FUZZ_CHECK(valid, "build_capture wrote a payload its reader refuses");
  FUZZ_CHECK(std::equal(audio.begin(), audio.end(), mulaw.begin(), mulaw.end()), "a capture does not replay its audio");
  return 0;
}
