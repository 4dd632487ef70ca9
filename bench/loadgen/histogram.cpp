#include "loadgen/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace mediaflow::bench {

LatencyHistogram::LatencyHistogram() : buckets_(kFineBuckets + kCoarseBuckets + 1, 0) {}

void LatencyHistogram::add_ns(int64_t ns) {
  ns = std::max<int64_t>(ns, 0);
  size_t i;
  if (ns < kFineLimitNs) i = static_cast<size_t>(ns / kFineNs);
  else if (ns < kCoarseLimitNs) i = kFineBuckets + static_cast<size_t>((ns - kFineLimitNs) / kCoarseNs);
  else i = kFineBuckets + kCoarseBuckets;
  ++buckets_[i];
  if (count_ == 0 || ns < min_ns_) min_ns_ = ns;
  if (count_ == 0 || ns > max_ns_) max_ns_ = ns;
  ++count_;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  min_ns_ = count_ ? std::min(min_ns_, other.min_ns_) : other.min_ns_;
  max_ns_ = count_ ? std::max(max_ns_, other.max_ns_) : other.max_ns_;
  count_ += other.count_;
}

int64_t LatencyHistogram::bucket_low_ns(size_t i) const {
  if (i < kFineBuckets) return static_cast<int64_t>(i) * kFineNs;
  return kFineLimitNs + static_cast<int64_t>(i - kFineBuckets) * kCoarseNs;
}

int64_t LatencyHistogram::bucket_high_ns(size_t i) const {
  if (i == kFineBuckets + kCoarseBuckets) return max_ns_;
  return bucket_low_ns(i + 1);
}

double LatencyHistogram::percentile_ms(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_ - 1) + 0.5);  // 0-based
  if (rank == count_ - 1) return max_ns_ / 1e6;
  if (rank == 0) return min_ns_ / 1e6;
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen > rank) {
      const int64_t mid = (bucket_low_ns(i) + bucket_high_ns(i)) / 2;
      return std::clamp(mid, min_ns_, max_ns_) / 1e6;
    }
  }
  return max_ns_ / 1e6;
}

}  // namespace mediaflow::bench
