// What the Deepgram endpoint sends back (deepgram::parse_server_message): a hostile or broken
// vendor endpoint controls every byte of it.
#include "fuzz_check.hpp"

#include "deepgram_protocol.hpp"

#include <cstdint>
#include <string_view>
#include <variant>

namespace dg = mediaflow::deepgram;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const dg::ServerMessage message = dg::parse_server_message(text);
  if (const auto* results = std::get_if<dg::Results>(&message))
    FUZZ_CHECK(results->words.size() <= size, "more words than bytes");
  return 0;
}
