// One call's echo check: which of its frames came back, and each one's round trip. Received
// audio is re-cut into frame-sized chunks (a host may batch or split messages); a chunk counts
// when it is one of this call's frames already sent and not counted before (bitset: bounded,
// one bit per frame). Send times are kept for the last kSendRing frames; an echo older than
// that is timed from its scheduled time (a lower bound of its send time, so a slight
// overestimate of the round trip — it is late by seconds anyway).
#pragma once

#include "loadgen/frame_pattern.hpp"

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace mediaflow::bench {

class EchoTracker {
 public:
  static constexpr std::size_t kSendRing = 512;  // 10 s of frames

  // `frames` the call will send, each `frame_bytes` (20 ms: 160 of Twilio's mu-law, 640 of
  // 16 kHz PCM); frame k is scheduled at t0_ns + k·20 ms.
  EchoTracker(unsigned call, uint64_t frames, int64_t t0_ns, std::size_t frame_bytes = 160);

  // Frame `frame` (the next one, in order) was handed to the socket at `at_ns`.
  void sent(uint64_t frame, int64_t at_ns);

  struct Match {
    int64_t round_trip_ns;
    bool first;  // the call's first matched frame
    int64_t since_first_send_ns;  // first: from the first frame's send to this arrival
  };
  // Audio that arrived at `at_ns`; on_match(const Match&) per newly matched frame.
  template <typename OnMatch>
  void received(std::span<const uint8_t> audio, int64_t at_ns, OnMatch&& on_match);

  uint64_t matched() const { return matched_; }

 private:
  bool take_chunk(int64_t at_ns, Match* match);

  unsigned call_;
  uint64_t frames_;
  int64_t t0_ns_;
  uint64_t next_frame_ = 0;  // frames sent so far
  int64_t first_send_ns_ = 0;
  uint64_t matched_ = 0;
  std::vector<uint8_t> partial_;  // frame_bytes long
  std::size_t partial_len_ = 0;
  std::vector<uint64_t> matched_bits_;
  std::vector<int64_t> sent_ns_;  // ring: frame % size
};

template <typename OnMatch>
void EchoTracker::received(std::span<const uint8_t> audio, int64_t at_ns, OnMatch&& on_match) {
  while (!audio.empty()) {
    const std::size_t take = std::min(audio.size(), partial_.size() - partial_len_);
    std::copy_n(audio.begin(), take, partial_.begin() + static_cast<long>(partial_len_));
    partial_len_ += take;
    audio = audio.subspan(take);
    if (partial_len_ < partial_.size()) return;
    partial_len_ = 0;
    Match m{};
    if (take_chunk(at_ns, &m)) on_match(static_cast<const Match&>(m));
  }
}

}  // namespace mediaflow::bench
