#include "speech_gate.hpp"

#include <cmath>

namespace mediaflow::sphinx {

SpeechGate::Action SpeechGate::next(double level_dbfs, std::uint64_t duration_ns) {
  const bool loud = level_dbfs >= config_.threshold_dbfs;
  if (!open_) {
    if (!loud) return Action::kHold;
    open_ = true;
    quiet_ns_ = 0;
    return Action::kRelease;
  }
  if (loud) {
    quiet_ns_ = 0;
    return Action::kPass;
  }
  quiet_ns_ += duration_ns;
  if (quiet_ns_ >= config_.hangover_ns) open_ = false;  // this buffer still passes
  return Action::kPass;
}

namespace {
constexpr double kSilenceDb = -200.0;

double to_db(double mean_square, double full_scale) {
  if (mean_square <= 0) return kSilenceDb;
  return 10.0 * std::log10(mean_square / (full_scale * full_scale));
}
}  // namespace

double level_dbfs_s16(const std::int16_t* samples, std::size_t count) {
  if (count == 0) return kSilenceDb;
  std::int64_t sum = 0;  // 32767² × 2^33 samples before overflow: far beyond one buffer
  for (std::size_t i = 0; i < count; ++i) sum += std::int32_t(samples[i]) * std::int32_t(samples[i]);
  return to_db(double(sum) / double(count), 32768.0);
}

double level_dbfs_f32(const float* samples, std::size_t count) {
  if (count == 0) return kSilenceDb;
  double sum = 0;
  for (std::size_t i = 0; i < count; ++i) sum += double(samples[i]) * double(samples[i]);
  return to_db(sum / double(count), 1.0);
}

}  // namespace mediaflow::sphinx
