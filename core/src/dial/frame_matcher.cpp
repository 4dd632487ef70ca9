#include "dial/frame_matcher.hpp"

namespace mediaflow::dial {

uint64_t FrameMatcher::hash(std::span<const uint8_t> bytes) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 1099511628211ull;
  }
  return h;
}

void FrameMatcher::sent(std::span<const uint8_t> frame, int64_t at_us) {
  sent_[hash(frame)].push_back(at_us);
  ++unmatched_;
}

void FrameMatcher::received(std::span<const uint8_t> audio, int64_t at_us,
                            const std::function<void(int64_t, int64_t)>& on_match) {
  if (!partial_.empty()) {
    size_t take = std::min(frame_bytes_ - partial_.size(), audio.size());
    partial_.insert(partial_.end(), audio.begin(), audio.begin() + take);
    audio = audio.subspan(take);
    if (partial_.size() < frame_bytes_) return;
    match_chunk(partial_, at_us, on_match);
    partial_.clear();
  }
  while (audio.size() >= frame_bytes_) {
    match_chunk(audio.first(frame_bytes_), at_us, on_match);
    audio = audio.subspan(frame_bytes_);
  }
  partial_.assign(audio.begin(), audio.end());
}

void FrameMatcher::match_chunk(std::span<const uint8_t> chunk, int64_t at_us,
                               const std::function<void(int64_t, int64_t)>& on_match) {
  auto it = sent_.find(hash(chunk));
  if (it == sent_.end()) return;
  int64_t sent_us = it->second.front();
  it->second.erase(it->second.begin());
  if (it->second.empty()) sent_.erase(it);
  --unmatched_;
  on_match(sent_us, at_us);
}

}  // namespace mediaflow::dial
