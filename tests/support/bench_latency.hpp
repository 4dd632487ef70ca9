// What the fake vendors measure for the load benchmark (docs/benchmarks.md, "Fake vendors under
// load"), as plain C++ with no GLib/libsoup: the clock, the caller-frame arithmetic of the
// ingest → vendor latency, a bounded-memory latency histogram and its one-line JSON report.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <mediaflow/protocol/vendor_stamp.hpp>

namespace mediaflow::test::bench {

// CLOCK_MONOTONIC in nanoseconds: the clock the load generator stamps `bench_t0_ns` with.
using protocol::vendor_stamp::monotonic_ns;

// The caller sends frame k (20 ms of audio) at t0 + k·20 ms. A vendor message that ends at
// audio time b (bytes_so_far at bytes_per_second, since the connection's first byte) holds
// caller frame floor((b − 1 ns) / 20 ms) as its newest: the earliest it could have been sent.
using protocol::vendor_stamp::kFrameNs;
std::int64_t newest_caller_frame(std::uint64_t bytes_so_far, std::uint64_t bytes_per_second);
// arrival − (t0 + 20 ms · newest frame): what the host added between the caller's send and the
// vendor's receive (both loopback hops included). May be negative if the caller ran early.
std::int64_t ingest_latency_ns(std::int64_t t0_ns, std::uint64_t bytes_so_far, std::uint64_t bytes_per_second,
                               std::int64_t arrival_ns);

// Log-linear histogram of durations in microseconds: exact below 128 µs, then 64 buckets per
// power of two (≤ 1.6 % relative error), fixed size (~30 KB) whatever the number of samples.
class LatencyHistogram {
 public:
  void add_ns(std::int64_t ns);  // negative durations count as 0
  std::uint64_t count() const { return count_; }
  // The q-quantile (0 < q ≤ 1) in ms: the bucket holding the ceil(q·count)-th smallest sample,
  // as its midpoint clamped to [min, max]. 0 when empty.
  double quantile_ms(double q) const;
  double max_ms() const { return double(max_us_) / 1000.0; }

 private:
  static constexpr int kSubBits = 6;                       // 64 sub-buckets per power of two
  static constexpr std::size_t kBuckets = 128 + 57 * 64;   // exact 0..127, then msb 7..63
  static std::size_t bucket_of(std::uint64_t us);
  static std::uint64_t bucket_low(std::size_t index);
  static std::uint64_t bucket_width(std::size_t index);

  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_us_ = 0, max_us_ = 0;
};

// {"vendor":"deepgram","connections":N,"chunks":N,"p50_ms":x,"p99_ms":x,"max_ms":x}
std::string latency_report_json(const std::string& vendor, std::size_t connections, const LatencyHistogram& h);

// The stamped agent-audio chunk (protocol/vendor_stamp.hpp, shared with the load generator).
using protocol::vendor_stamp::kStampedChunkBytes;
using protocol::vendor_stamp::read_stamp;
using protocol::vendor_stamp::stamped_chunk;

}  // namespace mediaflow::test::bench
