// Bounds how far a caller's audio may run ahead of real time. A telephony track carries 20 ms of
// audio every 20 ms; a caller sending faster (50× real time was seen in a soak: 30 s of wall
// time became a 600 s recording and 20× the recognition work) only gets its frames processed
// while the audio received stays within the wall time since its first frame plus an allowance
// for jitter. A burst after a network stall is within budget: the stalled time was earned.
// Plain C++, one per track, loop thread only.
#pragma once

#include <cstdint>

namespace mediaflow::server {

class RealtimeBudget {
 public:
  // `allowance_us`: audio that may arrive ahead of real time; 0 = no bound.
  explicit RealtimeBudget(std::int64_t allowance_us) : allowance_us_(allowance_us) {}

  // True when a frame of `audio_us` arriving at `now_us` (monotonic) is within budget; it is
  // then counted as received. False: drop it (not counted, so a caller that slows down again
  // is served again).
  bool admit(std::int64_t audio_us, std::int64_t now_us) {
    if (allowance_us_ <= 0) return true;
    if (first_us_ < 0) first_us_ = now_us;
    if (received_us_ + audio_us > (now_us - first_us_) + allowance_us_) return false;
    received_us_ += audio_us;
    return true;
  }

 private:
  std::int64_t allowance_us_;
  std::int64_t first_us_ = -1;
  std::int64_t received_us_ = 0;
};

}  // namespace mediaflow::server
