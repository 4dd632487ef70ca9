// The benchmark's send-time stamp in fake-vendor agent audio (docs/benchmarks.md, "Fake
// vendors under load"): one 20 ms ulaw_8000 chunk whose bytes 0–3 are "MFTS", bytes 4–11 the
// little-endian CLOCK_MONOTONIC ns at which the fake sent it, mu-law silence (0xFF) after
// that. The fake writes it, the load generator reads it back from the caller's media.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <span>

namespace mediaflow::protocol::vendor_stamp {

// The clock of the stamps (and of the loadgen's `bench_t0_ns`): CLOCK_MONOTONIC in ns.
inline std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// One caller frame (and one stamped chunk): 20 ms, 160 mu-law bytes at 8 kHz.
constexpr std::int64_t kFrameNs = 20'000'000;

constexpr std::uint8_t kMagic[4] = {'M', 'F', 'T', 'S'};
constexpr std::size_t kStampedChunkBytes = 160;

inline std::array<std::uint8_t, kStampedChunkBytes> stamped_chunk(std::uint64_t sent_ns) {
  std::array<std::uint8_t, kStampedChunkBytes> chunk;
  chunk.fill(0xFF);
  std::copy(std::begin(kMagic), std::end(kMagic), chunk.begin());
  for (int i = 0; i < 8; ++i) chunk[4 + std::size_t(i)] = std::uint8_t(sent_ns >> (8 * i));
  return chunk;
}

// The stamp of a chunk built by stamped_chunk (nullopt: not one).
inline std::optional<std::uint64_t> read_stamp(std::span<const std::uint8_t> chunk) {
  if (chunk.size() < 12 || !std::equal(std::begin(kMagic), std::end(kMagic), chunk.begin())) return std::nullopt;
  std::uint64_t ns = 0;
  for (int i = 0; i < 8; ++i) ns |= std::uint64_t(chunk[4 + std::size_t(i)]) << (8 * i);
  return ns;
}

}  // namespace mediaflow::protocol::vendor_stamp
