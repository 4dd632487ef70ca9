// A latency histogram with bounded memory, for millions of samples: 10 µs buckets up to 1 s,
// 1 ms buckets up to 60 s, one overflow bucket; exact min and max. Percentiles are
// nearest-rank (the sample of rank round(q·(n−1)), as dial::percentile picks it), reported as
// the middle of its bucket (±5 µs below 1 s, ±0.5 ms above) clamped to [min, max].
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mediaflow::bench {

class LatencyHistogram {
 public:
  static constexpr int64_t kFineNs = 10'000;           // 10 µs
  static constexpr int64_t kFineLimitNs = 1'000'000'000;   // 1 s
  static constexpr int64_t kCoarseNs = 1'000'000;      // 1 ms
  static constexpr int64_t kCoarseLimitNs = 60'000'000'000;  // 60 s

  LatencyHistogram();

  void add_ns(int64_t ns);  // negative values count as 0
  void merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  // q in [0, 1]; 0 when empty. q = 1 is the exact maximum, q = 0 the exact minimum.
  double percentile_ms(double q) const;
  double max_ms() const { return count_ ? max_ns_ / 1e6 : 0; }

 private:
  static constexpr std::size_t kFineBuckets = kFineLimitNs / kFineNs;
  static constexpr std::size_t kCoarseBuckets = (kCoarseLimitNs - kFineLimitNs) / kCoarseNs;
  // Bucket i's [low, high) in ns (the overflow bucket: [60 s, max]).
  int64_t bucket_low_ns(std::size_t i) const;
  int64_t bucket_high_ns(std::size_t i) const;

  std::vector<uint32_t> buckets_;  // fine, then coarse, then overflow
  uint64_t count_ = 0;
  int64_t min_ns_ = 0;
  int64_t max_ns_ = 0;
};

}  // namespace mediaflow::bench
