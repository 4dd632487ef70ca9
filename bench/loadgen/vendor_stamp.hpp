// The fake vendor's send-time stamp in the audio it returns (interface with bench's fake
// vendors): bytes 0–3 "MFTS", bytes 4–11 the CLOCK_MONOTONIC ns at which it sent the frame,
// little-endian. Frames without it are not stamped.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace mediaflow::bench {

inline std::optional<int64_t> read_vendor_stamp(std::span<const uint8_t> payload) {
  if (payload.size() < 12 || payload[0] != 'M' || payload[1] != 'F' || payload[2] != 'T' ||
      payload[3] != 'S')
    return std::nullopt;
  uint64_t ns = 0;
  for (int i = 11; i >= 4; --i) ns = (ns << 8) | payload[static_cast<size_t>(i)];
  return static_cast<int64_t>(ns);
}

}  // namespace mediaflow::bench
