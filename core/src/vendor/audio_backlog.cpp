#include <mediaflow/vendor/audio_backlog.hpp>

#include <algorithm>

namespace mediaflow::vendor {
namespace {
constexpr std::uint64_t kNs = 1000000000ull;
// A timestamp gap below this is jitter, not missing audio.
constexpr std::uint64_t kGapToleranceNs = 5000000ull;
}  // namespace

AudioBacklog::AudioBacklog(std::size_t bytes_per_second, std::size_t frame_bytes,
                           std::size_t capacity_bytes, std::uint8_t silence)
    : bytes_per_second_(bytes_per_second ? bytes_per_second : 1),
      frame_bytes_(frame_bytes ? frame_bytes : 1),
      capacity_(std::max(capacity_bytes - capacity_bytes % (frame_bytes ? frame_bytes : 1), frame_bytes)),
      silence_(silence) {}

std::uint64_t AudioBacklog::time_at(std::size_t offset) const {
  const unsigned __int128 bytes = origin_offset_ + offset;
  return origin_time_ + static_cast<std::uint64_t>(bytes * kNs / bytes_per_second_);
}

std::size_t AudioBacklog::append(const std::uint8_t* data, std::size_t size, std::uint64_t call_time_ns) {
  if (size == 0) return 0;
  if (empty()) {
    data_.clear();
    sent_ = 0;
    origin_time_ = call_time_ns;
    origin_offset_ = 0;
  } else {
    const std::uint64_t expected = time_at(size_t(this->size()));
    if (call_time_ns > expected + kGapToleranceNs) {
      std::uint64_t gap = (call_time_ns - expected) * bytes_per_second_ / kNs;
      gap -= gap % frame_bytes_;
      gap = std::min<std::uint64_t>(gap, capacity_);
      data_.insert(data_.end(), static_cast<std::size_t>(gap), silence_);
    }
  }
  data_.insert(data_.end(), data, data + size);
  std::size_t dropped = 0;
  if (this->size() > capacity_) {
    dropped = this->size() - capacity_;
    dropped += (frame_bytes_ - dropped % frame_bytes_) % frame_bytes_;
    drop_front(dropped);
  }
  return dropped;
}

std::uint64_t AudioBacklog::take_unsent(std::size_t max_bytes, std::vector<std::uint8_t>& out) {
  const std::uint64_t t = unsent_time();
  std::size_t n = std::min(max_bytes, unsent());
  if (n != unsent()) n -= n % frame_bytes_;
  const auto begin = data_.begin() + static_cast<std::ptrdiff_t>(sent_);
  out.assign(begin, begin + static_cast<std::ptrdiff_t>(n));
  sent_ += n;
  return t;
}

void AudioBacklog::confirm_until(std::uint64_t call_time_ns) {
  const std::uint64_t front = time_at(0);
  if (call_time_ns <= front) return;
  unsigned __int128 bytes = static_cast<unsigned __int128>(call_time_ns - front) * bytes_per_second_ / kNs;
  std::size_t n = static_cast<std::size_t>(std::min<unsigned __int128>(bytes, sent_));
  n -= n % frame_bytes_;
  drop_front(n);
}

void AudioBacklog::clear() { drop_front(size()); }

void AudioBacklog::drop_front(std::size_t n) {
  n = std::min(n, size());
  data_.erase(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(n));  // frees whole blocks
  origin_offset_ += n;
  sent_ = sent_ > n ? sent_ - n : 0;
}

}  // namespace mediaflow::vendor
