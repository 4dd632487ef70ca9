// The decision logic of `speechgate` (plain C++, no GStreamer): which stretches of call audio
// a speech recogniser needs. Audio is cut into buffers (20 ms in a call); each is loud (its
// level is at or above a threshold) or quiet. The gate opens on a loud buffer, stays open
// while the audio is loud and for a hangover of quiet audio after it, then closes. The
// hangover is longer than the quiet a recogniser needs to end an utterance (pocketsphinx:
// 0.5 s), so it never waits for audio that will not come. This is decided on audio time
// alone, never on what the recogniser reports: a recogniser running behind must not keep
// the gate open (more work) because it is behind. While closed, the most recent `pre_roll`
// of quiet audio is held, so that when the gate opens the recogniser also gets the soft
// start of the word (onsets like "f", "h", "s" are quieter than the vowel that triggers the
// gate) and a little background to measure noise against.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mediaflow::sphinx {

struct SpeechGateConfig {
  double threshold_dbfs = -45.0;             // RMS level of a buffer that counts as loud
  std::uint64_t pre_roll_ns = 500'000'000;   // quiet audio held before an onset
  std::uint64_t hangover_ns = 700'000'000;   // quiet audio passed after the last loud buffer
};

class SpeechGate {
 public:
  enum class Action {
    kHold,     // keep this buffer in the pre-roll (drop the oldest beyond pre_roll_ns)
    kRelease,  // the gate opened: pass the pre-roll, then this buffer
    kPass,     // pass this buffer
  };

  explicit SpeechGate(SpeechGateConfig config = {}) : config_(config) {}

  // One buffer of `duration_ns` at `level_dbfs`.
  Action next(double level_dbfs, std::uint64_t duration_ns);
  // Back to closed (new stream, flush).
  void reset() { open_ = false; quiet_ns_ = 0; }

  bool is_open() const { return open_; }
  const SpeechGateConfig& config() const { return config_; }

 private:
  SpeechGateConfig config_;
  bool open_ = false;
  std::uint64_t quiet_ns_ = 0;  // quiet audio since the last loud buffer, while open
};

// RMS level in dBFS of interleaved samples (all channels together); -inf dB is returned as
// -200 for digital silence.
double level_dbfs_s16(const std::int16_t* samples, std::size_t count);
double level_dbfs_f32(const float* samples, std::size_t count);

}  // namespace mediaflow::sphinx
