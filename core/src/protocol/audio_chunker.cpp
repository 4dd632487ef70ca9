#include <mediaflow/protocol/audio_chunker.hpp>

#include <algorithm>

namespace mediaflow::protocol {

AudioChunker::AudioChunker(Format f, int chunk_ms, int min_ms) : silence_(f.silence) {
  const std::size_t rate = static_cast<std::size_t>(std::max(f.sample_rate, 1));
  const std::size_t sample = static_cast<std::size_t>(std::max(f.bytes_per_sample, 1));
  // 50 ms at 22050 Hz is 1102.5 samples: 1102 would be too short for a vendor's minimum.
  const auto bytes_for = [&](int ms) {
    return std::max<std::size_t>(1, (rate * static_cast<std::size_t>(std::max(ms, 0)) + 999) / 1000) * sample;
  };
  chunk_bytes_ = bytes_for(std::max(chunk_ms, min_ms));
  min_bytes_ = min_ms > 0 ? bytes_for(min_ms) : 0;
}

void AudioChunker::push(std::span<const std::uint8_t> audio) {
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_));
  read_ = 0;
  buffer_.insert(buffer_.end(), audio.begin(), audio.end());
}

std::span<const std::uint8_t> AudioChunker::pop() {
  if (buffer_.size() - read_ < chunk_bytes_) return {};
  read_ += chunk_bytes_;
  return {buffer_.data() + read_ - chunk_bytes_, chunk_bytes_};
}

std::span<const std::uint8_t> AudioChunker::pop_rest() {
  const std::size_t take = std::min(buffer_.size() - read_, chunk_bytes_);
  if (take == 0) return {};
  const std::size_t n = std::max(take, min_bytes_);
  if (read_ + n > buffer_.size()) buffer_.resize(read_ + n, silence_);
  read_ += n;
  return {buffer_.data() + read_ - n, n};
}

}  // namespace mediaflow::protocol
