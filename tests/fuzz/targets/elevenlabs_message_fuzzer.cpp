// What the ElevenLabs agent endpoint sends back: its server messages
// (elevenlabs::parse_server_message) and the signed-URL answer of its HTTP API. A hostile or
// broken vendor endpoint controls every byte of both.
#include "fuzz_check.hpp"

#include "elevenlabs_protocol.hpp"

#include <cstdint>
#include <string_view>
#include <variant>

namespace el = mediaflow::elevenlabs;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const el::ServerMessage message = el::parse_server_message(text);
  if (const auto* malformed = std::get_if<el::Malformed>(&message))
    FUZZ_CHECK(!malformed->description.empty(), "a malformed message without a description");
  if (const auto* audio = std::get_if<el::Audio>(&message))
    FUZZ_CHECK(audio->data.size() <= size, "more audio than bytes received");
  if (const auto* init = std::get_if<el::InitiationMetadata>(&message)) {
    if (init->agent_output) FUZZ_CHECK(el::parse_audio_format(el::audio_format_name(*init->agent_output)) == init->agent_output,
                                       "an audio format that does not survive its own name");
  }
  (void)el::parse_signed_url_response(text);
  return 0;
}
