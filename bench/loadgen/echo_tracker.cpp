#include "loadgen/echo_tracker.hpp"

#include "loadgen/pacing.hpp"

#include <algorithm>

namespace mediaflow::bench {

EchoTracker::EchoTracker(unsigned call, uint64_t frames, int64_t t0_ns, std::size_t frame_bytes)
    : call_(call), frames_(frames), t0_ns_(t0_ns), partial_(frame_bytes), matched_bits_((frames + 63) / 64, 0),
      sent_ns_(std::min<uint64_t>(frames, kSendRing), 0) {}

void EchoTracker::sent(uint64_t frame, int64_t at_ns) {
  if (frame >= frames_) return;
  if (frame == 0) first_send_ns_ = at_ns;
  sent_ns_[frame % sent_ns_.size()] = at_ns;
  next_frame_ = std::max(next_frame_, frame + 1);
}

bool EchoTracker::take_chunk(int64_t at_ns, Match* match) {
  const auto id = identify_unique_frame(partial_);
  if (!id || id->call != call_ || id->frame >= next_frame_) return false;
  uint64_t& word = matched_bits_[id->frame / 64];
  const uint64_t bit = uint64_t{1} << (id->frame % 64);
  if (word & bit) return false;
  word |= bit;
  const bool in_ring = id->frame + sent_ns_.size() >= next_frame_;
  const int64_t sent = in_ring ? sent_ns_[id->frame % sent_ns_.size()] : frame_due_ns(t0_ns_, id->frame);
  match->round_trip_ns = at_ns - sent;
  match->first = matched_++ == 0;
  match->since_first_send_ns = at_ns - first_send_ns_;
  return true;
}

}  // namespace mediaflow::bench
