// Matches frames a caller gets back to the frames it sent, by content, for round-trip
// latency on an echo: each sent frame is remembered as hash(payload) → send time; the
// received audio is re-cut into frame-sized chunks (the host may batch or split messages)
// and each chunk takes the earliest send time with the same hash. Frames with equal content
// (silence) match first-in, first-out. A host that inserts or drops a partial frame shifts
// the cut and later chunks no longer match: they count as lost, which is what they are.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <unordered_map>
#include <vector>

namespace mediaflow::dial {

class FrameMatcher {
 public:
  explicit FrameMatcher(size_t frame_bytes) : frame_bytes_(frame_bytes) {}

  void sent(std::span<const uint8_t> frame, int64_t at_us);
  // Calls on_match(sent_us, received_us) for every completed chunk that matches a sent frame.
  void received(std::span<const uint8_t> audio, int64_t at_us,
                const std::function<void(int64_t, int64_t)>& on_match);
  uint64_t unmatched_sent() const { return unmatched_; }

  static uint64_t hash(std::span<const uint8_t> bytes);

 private:
  void match_chunk(std::span<const uint8_t> chunk, int64_t at_us,
                   const std::function<void(int64_t, int64_t)>& on_match);

  size_t frame_bytes_;
  std::unordered_map<uint64_t, std::vector<int64_t>> sent_;
  std::vector<uint8_t> partial_;
  uint64_t unmatched_ = 0;
};

}  // namespace mediaflow::dial
