// What the ElevenLabs stream-input endpoint sends back (elevenlabs_tts::ServerMessageParser): a
// hostile or broken vendor endpoint controls every byte of it. One parser for every input, as an
// element keeps one per connection, and an audio buffer of exactly the documented bound, so
// AddressSanitizer sees any write past it.
#include "fuzz_check.hpp"

#include "elevenlabs_tts_protocol.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace tts = mediaflow::elevenlabs_tts;

namespace {

void check_alignment(const tts::Alignment* a) {
  if (!a) return;
  FUZZ_CHECK(a->start_ms.size() == a->chars.size() && a->duration_ms.size() == a->chars.size(),
             "alignment lists of different lengths");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static tts::ServerMessageParser parser;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::uint8_t> audio(tts::ServerMessageParser::max_audio_bytes(size));
  const tts::ServerMessage m = parser.parse(text, audio);
  FUZZ_CHECK(m.audio_bytes <= audio.size(), "more audio than the buffer");
  FUZZ_CHECK(m.kind == tts::MessageKind::kAudio || m.audio_bytes == 0, "audio outside an audio message");
  if (m.kind == tts::MessageKind::kMalformed) FUZZ_CHECK(*m.malformed != '\0', "a malformed message without a reason");
  check_alignment(m.alignment);
  check_alignment(m.normalized_alignment);
  // A buffer too small must be refused, never overrun.
  std::vector<std::uint8_t> small(audio.size() / 2);
  const tts::ServerMessage half = parser.parse(text, small);
  FUZZ_CHECK(half.audio_bytes <= small.size(), "more audio than the small buffer");
  return 0;
}
