#include "loadgen/frame_pattern.hpp"

#include <algorithm>
#include <array>

namespace mediaflow::bench {
namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kMul1 = 0xBF58476D1CE4E5B9ull;
constexpr uint64_t kMul2 = 0x94D049BB133111EBull;
constexpr unsigned kFrameBits = 40;

constexpr uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * kMul1;
  z = (z ^ (z >> 27)) * kMul2;
  return z ^ (z >> 31);
}

// Inverse of an odd number modulo 2^64 (Newton: each step doubles the correct low bits).
constexpr uint64_t inverse(uint64_t a) {
  uint64_t x = a;  // correct to 3 bits for odd a
  for (int i = 0; i < 5; ++i) x *= 2 - a * x;
  return x;
}

constexpr uint64_t undo_xorshift(uint64_t y, unsigned shift) {
  uint64_t x = y;
  for (unsigned done = shift; done < 64; done += shift) x = y ^ (x >> shift);
  return x;
}

constexpr uint64_t unmix(uint64_t z) {
  z = undo_xorshift(z, 31) * inverse(kMul2);
  z = undo_xorshift(z, 27) * inverse(kMul1);
  return undo_xorshift(z, 30);
}

static_assert(unmix(mix(0x123456789abcdefull)) == 0x123456789abcdefull);

uint64_t splitmix64(uint64_t& state) { return mix(state += kGolden); }

uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int j = 7; j >= 0; --j) v = (v << 8) | p[j];
  return v;
}

}  // namespace

void fill_unique_frame(unsigned call, uint64_t frame, std::span<uint8_t> out) {
  uint64_t state = (static_cast<uint64_t>(call) << kFrameBits) ^ frame;
  for (size_t i = 0; i < out.size(); i += 8) {
    uint64_t v = splitmix64(state);
    for (size_t j = 0; j < 8 && i + j < out.size(); ++j) out[i + j] = static_cast<uint8_t>(v >> (8 * j));
  }
}

std::optional<FrameId> identify_unique_frame(std::span<const uint8_t> chunk) {
  if (chunk.size() < 8) return std::nullopt;
  const uint64_t state = unmix(load_le64(chunk.data())) - kGolden;
  FrameId id{static_cast<unsigned>(state >> kFrameBits), state & ((uint64_t{1} << kFrameBits) - 1)};
  std::array<uint8_t, kMaxPatternFrameBytes> expected;
  if (chunk.size() > expected.size()) return std::nullopt;
  fill_unique_frame(id.call, id.frame, std::span<uint8_t>(expected.data(), chunk.size()));
  if (!std::equal(chunk.begin(), chunk.end(), expected.begin())) return std::nullopt;
  return id;
}

}  // namespace mediaflow::bench
