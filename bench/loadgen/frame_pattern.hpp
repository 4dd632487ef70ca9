// The echo check's audio: frame `frame` of call `call` is bytes no other frame of the run
// carries, and a received chunk names the frame it came from without any lookup table — its
// first 8 bytes are splitmix64 of (call << 40 ^ frame), which is a bijection and is inverted
// here; the rest of the chunk is then compared with the regenerated frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace mediaflow::bench {

// The largest frame identified: 20 ms of 64 kHz 16-bit PCM (jambonz's highest rate).
inline constexpr std::size_t kMaxPatternFrameBytes = 2560;

// Fills `out` with the pattern of (call, frame); frame < 2^40.
void fill_unique_frame(unsigned call, uint64_t frame, std::span<uint8_t> out);

struct FrameId {
  unsigned call;
  uint64_t frame;
};

// The (call, frame) whose pattern `chunk` is exactly (8 ≤ chunk.size() ≤ kMaxPatternFrameBytes),
// else nullopt.
std::optional<FrameId> identify_unique_frame(std::span<const uint8_t> chunk);

}  // namespace mediaflow::bench
