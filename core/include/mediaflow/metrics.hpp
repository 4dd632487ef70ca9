// Process-wide Prometheus metrics (the names are part of the external contract; see
// docs/observability.md). No label ever carries a call identifier.
//
// Hot path: Counter/Gauge/Histogram updates are single relaxed atomic operations, no lock.
// Labelled lookups take a small mutex, so callers on the per-frame path look a child up once
// and keep the reference (children live as long as their Metrics object):
//   metric::Counter& rejected = metrics().messages_rejected("malformed_json");
//   rejected.inc();
// Label values come from small fixed sets chosen by the code; to keep the series count bounded
// even if one is fed something variable, a family holds at most kMaxLabelValues children and
// maps any further value to "other".
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace mediaflow {
namespace metric {

class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void inc(std::int64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  void dec(std::int64_t n = 1) noexcept { value_.fetch_sub(n, std::memory_order_relaxed); }
  void set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
  std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Latency histogram with fixed buckets from 10 µs to 1 s (Prometheus `le` upper bounds).
class Histogram {
 public:
  static constexpr std::array<double, 15> kBounds = {
      0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
      0.005,   0.01,     0.025,   0.05,   0.1,     0.25,   1.0};

  void observe(double seconds) noexcept;
  void observe_ns(std::uint64_t nanoseconds) noexcept;

  struct Snapshot {
    std::array<std::uint64_t, kBounds.size() + 1> cumulative{};  // last one is +Inf == count
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };
  Snapshot snapshot() const noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};  // per bucket, not cumulative
  std::atomic<std::uint64_t> sum_ns_{0};
};

// A family of counters or gauges with one label; children are created on first use and never
// removed.
template <typename Metric>
class Family {
 public:
  static constexpr std::size_t kMaxLabelValues = 32;
  Metric& with(std::string_view label_value) {
    std::lock_guard lock(mutex_);
    auto it = children_.find(label_value);
    if (it != children_.end()) return *it->second;
    std::string key(label_value);
    if (children_.size() >= kMaxLabelValues - 1) key = "other";  // the last slot is "other"
    auto& child = children_[key];
    if (!child) child = std::make_unique<Metric>();
    return *child;
  }
  // Sorted (label value, value) pairs, for rendering and tests.
  auto values() const {
    std::lock_guard lock(mutex_);
    std::map<std::string, decltype(std::declval<const Metric&>().value()), std::less<>> out;
    for (const auto& [label, m] : children_) out.emplace(label, m->value());
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Metric>, std::less<>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;

// A counter family with two labels (the pair is the child's key).
class CounterFamily2 {
 public:
  Counter& with(std::string_view a, std::string_view b);
  // Sorted ((a, b), count) pairs.
  std::map<std::pair<std::string, std::string>, std::uint64_t> values() const;

 private:
  CounterFamily inner_;  // keyed "a\x1fb"
};

}  // namespace metric

class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  metric::Gauge& calls_active() { return calls_active_; }
  metric::Counter& calls_total(std::string_view outcome) { return calls_total_.with(outcome); }
  // Calls refused admission at their `start`, by the limit that refused them (host, …).
  metric::Counter& calls_refused(std::string_view scope) { return calls_refused_.with(scope); }
  // Upgraded connections that have not sent `start` yet: not calls, not admitted.
  metric::Gauge& connections_awaiting_start() { return connections_awaiting_start_; }
  // Upgraded connections that ended without sending `start` (start_timeout, client_gone, …).
  metric::Counter& connections_without_start(std::string_view reason) {
    return connections_without_start_.with(reason);
  }
  // Connections closed before a WebSocket upgrade (answered, bad_request, handshake_timeout, …).
  metric::Counter& connections_closed(std::string_view reason) { return connections_closed_.with(reason); }
  // GStreamer pipelines built from pipeline files and not yet finalized (a leak shows here).
  metric::Gauge& pipelines_live() { return pipelines_live_; }
  // Cluster admission (REDIS_URL): worker connections to Redis that are up, and what failed.
  metric::Gauge& redis_connected() { return redis_connected_; }
  metric::Counter& redis_errors(std::string_view reason) { return redis_errors_.with(reason); }
  // 1 while the host drains (SIGTERM): /health is 503 and new calls are refused or lame-ducked.
  metric::Gauge& draining() { return draining_; }
  // This process's INSTANCE_ID, exposed as mediaflow_instance_info{instance_id=…} 1 (not
  // `instance`: Prometheus sets that label itself to the scrape target). Set at start.
  void set_instance(std::string id);
  // The Redis metrics are exported only when cluster admission is configured (REDIS_URL), so
  // an alert on mediaflow_redis_connected == 0 never fires on a host that has no Redis.
  void set_redis_enabled(bool on) { redis_enabled_ = on; }
  metric::Counter& frames_in() { return frames_in_; }
  metric::Counter& frames_out() { return frames_out_; }
  metric::Counter& frames_dropped(std::string_view reason) { return frames_dropped_.with(reason); }
  metric::Counter& messages_rejected(std::string_view reason) {
    return messages_rejected_.with(reason);
  }
  metric::Counter& auth_failures(std::string_view reason) { return auth_failures_.with(reason); }
  metric::Counter& vendor_reconnects(std::string_view vendor) {
    return vendor_reconnects_.with(vendor);
  }
  metric::Counter& pipeline_errors() { return pipeline_errors_; }
  metric::Counter& recordings(std::string_view outcome) { return recordings_.with(outcome); }
  // Evidence (docs/evidence.md): objects stored / retried / failed, webhook events by type
  // and outcome, the spool's backlog by kind (event, upload, dead).
  metric::Counter& uploads(std::string_view outcome) { return uploads_.with(outcome); }
  metric::Counter& events(std::string_view type, std::string_view outcome) { return events_.with(type, outcome); }
  metric::Gauge& spool_items(std::string_view kind) { return spool_items_.with(kind); }
  // Creation time (unix seconds, 0 = none) of the oldest pending job of a kind; exposed as
  // mediaflow_spool_oldest_seconds, its age at scrape time.
  metric::Gauge& spool_oldest_unix(std::string_view kind) { return spool_oldest_unix_.with(kind); }
  metric::Histogram& frame_latency() { return frame_latency_; }
  // The host's front end (before the WebSocket upgrade).
  metric::Counter& accept_errors(std::string_view reason) { return accept_errors_.with(reason); }
  metric::Counter& connections_shed(std::string_view reason) { return connections_shed_.with(reason); }
  metric::Gauge& connections_pending() { return connections_pending_; }
  metric::Histogram& pipeline_start() { return pipeline_start_; }

  // Text exposition format 0.0.4 (Content-Type: text/plain; version=0.0.4; charset=utf-8).
  std::string render_prometheus() const;

 private:
  metric::Gauge calls_active_;
  metric::CounterFamily calls_total_;
  metric::CounterFamily calls_refused_;
  metric::Gauge connections_awaiting_start_;
  metric::CounterFamily connections_closed_;
  metric::CounterFamily connections_without_start_;
  metric::Gauge pipelines_live_;
  metric::Gauge redis_connected_;
  metric::CounterFamily redis_errors_;
  metric::Gauge draining_;
  mutable std::mutex instance_mutex_;  // set at a host's start, read by scrapes on any worker
  std::string instance_;
  std::atomic<bool> redis_enabled_{false};
  metric::Counter frames_in_;
  metric::Counter frames_out_;
  metric::CounterFamily frames_dropped_;
  metric::CounterFamily messages_rejected_;
  metric::CounterFamily auth_failures_;
  metric::CounterFamily vendor_reconnects_;
  metric::Counter pipeline_errors_;
  metric::CounterFamily recordings_;
  metric::CounterFamily uploads_;
  metric::CounterFamily2 events_;
  metric::GaugeFamily spool_items_;
  metric::GaugeFamily spool_oldest_unix_;
  metric::Histogram frame_latency_;
  metric::CounterFamily accept_errors_;
  metric::CounterFamily connections_shed_;
  metric::Gauge connections_pending_;
  metric::Histogram pipeline_start_;
};

// The process-wide registry served on GET /metrics.
Metrics& metrics();

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace mediaflow
