#include "support/bench_latency.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace mediaflow::test::bench {

std::int64_t newest_caller_frame(std::uint64_t bytes_so_far, std::uint64_t bytes_per_second) {
  if (bytes_so_far == 0 || bytes_per_second == 0) return 0;
  // Exact in 128 bits: hours of audio at any rate stay far from overflow.
  const auto end_ns = static_cast<std::uint64_t>((unsigned __int128)bytes_so_far * 1'000'000'000u / bytes_per_second);
  return end_ns == 0 ? 0 : std::int64_t((end_ns - 1) / kFrameNs);
}

std::int64_t ingest_latency_ns(std::int64_t t0_ns, std::uint64_t bytes_so_far, std::uint64_t bytes_per_second,
                               std::int64_t arrival_ns) {
  return arrival_ns - (t0_ns + newest_caller_frame(bytes_so_far, bytes_per_second) * kFrameNs);
}

std::size_t LatencyHistogram::bucket_of(std::uint64_t us) {
  if (us < 128) return std::size_t(us);
  const int msb = 63 - std::countl_zero(us);  // ≥ 7
  const int shift = msb - kSubBits;
  return 128 + std::size_t(msb - 7) * 64 + std::size_t((us >> shift) - 64);
}

std::uint64_t LatencyHistogram::bucket_low(std::size_t index) {
  if (index < 128) return index;
  const std::size_t msb = 7 + (index - 128) / 64;
  return (64 + (index - 128) % 64) << (msb - kSubBits);
}

std::uint64_t LatencyHistogram::bucket_width(std::size_t index) {
  if (index < 128) return 1;
  return std::uint64_t(1) << (7 + (index - 128) / 64 - kSubBits);
}

void LatencyHistogram::add_ns(std::int64_t ns) {
  const std::uint64_t us = ns <= 0 ? 0 : (std::uint64_t(ns) + 500) / 1000;
  ++buckets_[bucket_of(us)];
  min_us_ = count_ == 0 ? us : std::min(min_us_, us);
  max_us_ = count_ == 0 ? us : std::max(max_us_, us);
  ++count_;
}

double LatencyHistogram::quantile_ms(double q) const {
  if (count_ == 0) return 0;
  const auto rank = std::max<std::uint64_t>(1, std::uint64_t(std::ceil(std::clamp(q, 0.0, 1.0) * double(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      const std::uint64_t mid = bucket_low(i) + bucket_width(i) / 2;
      return double(std::clamp(mid, min_us_, max_us_)) / 1000.0;
    }
  }
  return max_ms();
}

std::string latency_report_json(const std::string& vendor, std::size_t connections, const LatencyHistogram& h) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"vendor\":\"%s\",\"connections\":%zu,\"chunks\":%llu,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}",
                vendor.c_str(), connections, static_cast<unsigned long long>(h.count()), h.quantile_ms(0.50),
                h.quantile_ms(0.99), h.max_ms());
  return buf;
}

}  // namespace mediaflow::test::bench
