#include <mediaflow/protocol/utf8.hpp>

#include <simdjson.h>

#include <cstdint>

namespace mediaflow::protocol {

bool is_valid_utf8(std::string_view text) { return simdjson::validate_utf8(text.data(), text.size()); }

std::size_t incomplete_utf8_tail(std::string_view text) {
  // Look back over at most 3 bytes for the lead byte of the last sequence.
  const std::size_t n = text.size();
  for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto byte = static_cast<std::uint8_t>(text[n - back]);
    if ((byte & 0xC0) == 0x80) continue;  // a continuation byte: keep looking for the lead
    std::size_t needed = 1;
    if (byte >= 0xF0) needed = 4;
    else if (byte >= 0xE0) needed = 3;
    else if (byte >= 0xC0) needed = 2;
    return needed > back ? back : 0;
  }
  return 0;  // no lead byte in reach: whatever it is, the validator judges it now
}

bool Utf8Stream::check(std::string_view text) {
  const std::size_t ready = text.size() - incomplete_utf8_tail(text);
  if (ready <= checked_) return true;
  if (!is_valid_utf8(text.substr(checked_, ready - checked_))) return false;
  checked_ = ready;
  return true;
}

bool Utf8Stream::finish(std::string_view text) {
  const bool valid = checked_ <= text.size() && is_valid_utf8(text.substr(checked_));
  checked_ = 0;
  return valid;
}

}  // namespace mediaflow::protocol
