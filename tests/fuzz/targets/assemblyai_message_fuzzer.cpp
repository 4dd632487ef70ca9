// What the AssemblyAI v3 endpoint sends back (assemblyai::parse_server_message) and what the
// codec makes of it (segment_of, describe_close): a hostile or broken vendor endpoint controls
// every byte of it.
#include "fuzz_check.hpp"

#include "assemblyai_protocol.hpp"

#include <cmath>
#include <cstdint>
#include <string_view>
#include <variant>

namespace aai = mediaflow::assemblyai;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const aai::ServerMessage message = aai::parse_server_message(text);
  if (const auto* turn = std::get_if<aai::Turn>(&message)) {
    FUZZ_CHECK(turn->words.size() <= size, "more words than bytes");
    for (bool formatted : {false, true}) {
      const aai::Segment s = aai::segment_of(*turn, formatted);
      FUZZ_CHECK(std::isfinite(s.start) && std::isfinite(s.duration) && s.duration >= 0, "a segment without a span");
      FUZZ_CHECK(!s.is_final || turn->end_of_turn, "final before the end of the turn");
    }
  }
  if (const auto* error = std::get_if<aai::ServerError>(&message))
    FUZZ_CHECK(aai::describe_close(error->code).reason != nullptr, "a close code without a reason");
  if (const auto* bad = std::get_if<aai::Malformed>(&message))
    FUZZ_CHECK(!bad->description.empty(), "a malformed message without a description");
  return 0;
}
