#include <mediaflow/metrics.hpp>

#include "metrics/exposition_parser.hpp"

#include <gtest/gtest.h>

#include <ctime>

#include <cmath>
#include <set>
#include <thread>
#include <vector>

using mediaflow::Metrics;
using mediaflow::test::parse_exposition;

TEST(Metrics, ExposesEveryContractMetricWithItsType) {
  Metrics m;
  auto exp = parse_exposition(m.render_prometheus());
  const std::map<std::string, std::string> expected = {
      {"mediaflow_calls_active", "gauge"},
      {"mediaflow_calls_total", "counter"},
      {"mediaflow_calls_refused_total", "counter"},
      {"mediaflow_connections_awaiting_start", "gauge"},
      {"mediaflow_connections_closed_total", "counter"},
      {"mediaflow_connections_without_start_total", "counter"},
      {"mediaflow_pipelines_live", "gauge"},
      {"mediaflow_instance_info", "gauge"},
      {"mediaflow_draining", "gauge"},
      {"mediaflow_frames_in_total", "counter"},
      {"mediaflow_frames_out_total", "counter"},
      {"mediaflow_frames_dropped_total", "counter"},
      {"mediaflow_messages_rejected_total", "counter"},
      {"mediaflow_auth_failures_total", "counter"},
      {"mediaflow_vendor_reconnects_total", "counter"},
      {"mediaflow_pipeline_errors_total", "counter"},
      {"mediaflow_recordings_total", "counter"},
      {"mediaflow_accept_errors_total", "counter"},
      {"mediaflow_connections_shed_total", "counter"},
      {"mediaflow_connections_pending", "gauge"},
      {"mediaflow_frame_latency_seconds", "histogram"},
      {"mediaflow_pipeline_start_seconds", "histogram"},
      {"mediaflow_uploads_total", "counter"},
      {"mediaflow_events_total", "counter"},
      {"mediaflow_spool_items", "gauge"},
      {"mediaflow_spool_oldest_seconds", "gauge"},
  };
  EXPECT_EQ(exp.types, expected);
  for (const auto& [name, type] : expected) EXPECT_FALSE(exp.help[name].empty()) << name;
  EXPECT_EQ(exp.value("mediaflow_calls_active"), 0);
  EXPECT_EQ(exp.value("mediaflow_frames_in_total"), 0);
  EXPECT_EQ(exp.value("mediaflow_connections_pending"), 0);
  EXPECT_EQ(exp.value("mediaflow_frame_latency_seconds_count"), 0);
}

TEST(Metrics, EvidenceSeriesCarryTypeAndOutcomeAndTheSpoolAgeInSeconds) {
  Metrics m;
  m.events("call.started", "delivered").inc(2);
  m.events("call.started", "retry").inc();
  m.uploads("stored").inc(3);
  m.spool_items("upload").set(4);
  m.spool_oldest_unix("upload").set(static_cast<std::int64_t>(std::time(nullptr)) - 100);
  m.spool_oldest_unix("event").set(0);  // nothing pending
  const std::string text = m.render_prometheus();
  EXPECT_NE(text.find("mediaflow_events_total{type=\"call.started\",outcome=\"delivered\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("mediaflow_events_total{type=\"call.started\",outcome=\"retry\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("mediaflow_uploads_total{outcome=\"stored\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("mediaflow_spool_items{kind=\"upload\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("mediaflow_spool_oldest_seconds{kind=\"event\"} 0\n"), std::string::npos);
  const auto at = text.find("mediaflow_spool_oldest_seconds{kind=\"upload\"} ");
  ASSERT_NE(at, std::string::npos);
  const long age = std::stol(text.substr(at + std::string("mediaflow_spool_oldest_seconds{kind=\"upload\"} ").size()));
  EXPECT_GE(age, 100);
  EXPECT_LE(age, 110);
}

TEST(Metrics, CountsShowUpWithTheirLabels) {
  Metrics m;
  m.calls_active().inc();
  m.calls_active().inc();
  m.calls_active().dec();
  m.calls_total("completed").inc(3);
  m.calls_total("rejected_capacity").inc();
  m.frames_in().inc(500);
  m.frames_out().inc(498);
  m.frames_dropped("queue_full").inc(2);
  m.messages_rejected("malformed_json").inc(4);
  m.messages_rejected("unknown_event").inc();
  m.auth_failures("expired").inc();
  m.vendor_reconnects("deepgram").inc(7);
  m.pipeline_errors().inc();
  m.recordings("ok").inc(5);
  auto exp = parse_exposition(m.render_prometheus());
  EXPECT_EQ(exp.value("mediaflow_calls_active"), 1);
  EXPECT_EQ(exp.value("mediaflow_calls_total", {{"outcome", "completed"}}), 3);
  EXPECT_EQ(exp.value("mediaflow_calls_total", {{"outcome", "rejected_capacity"}}), 1);
  EXPECT_EQ(exp.value("mediaflow_frames_in_total"), 500);
  EXPECT_EQ(exp.value("mediaflow_frames_out_total"), 498);
  EXPECT_EQ(exp.value("mediaflow_frames_dropped_total", {{"reason", "queue_full"}}), 2);
  EXPECT_EQ(exp.value("mediaflow_messages_rejected_total", {{"reason", "malformed_json"}}), 4);
  EXPECT_EQ(exp.value("mediaflow_messages_rejected_total", {{"reason", "unknown_event"}}), 1);
  EXPECT_EQ(exp.value("mediaflow_auth_failures_total", {{"reason", "expired"}}), 1);
  EXPECT_EQ(exp.value("mediaflow_vendor_reconnects_total", {{"vendor", "deepgram"}}), 7);
  EXPECT_EQ(exp.value("mediaflow_pipeline_errors_total"), 1);
  EXPECT_EQ(exp.value("mediaflow_recordings_total", {{"outcome", "ok"}}), 5);
}

TEST(Metrics, CachedHandleIsTheSameCounter) {
  Metrics m;
  mediaflow::metric::Counter& a = m.messages_rejected("bad_base64");
  mediaflow::metric::Counter& b = m.messages_rejected("bad_base64");
  EXPECT_EQ(&a, &b);
  a.inc();
  b.inc();
  EXPECT_EQ(m.messages_rejected("bad_base64").value(), 2u);
  EXPECT_NE(&a, &m.messages_rejected("media_before_start"));
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Metrics m;
  auto& h = m.frame_latency();
  h.observe(0.000005);  // 5 µs
  h.observe(0.00003);   // 30 µs
  h.observe_ns(2'000'000);  // 2 ms
  h.observe(2.0);       // beyond the last bound
  h.observe(std::nan(""));  // ignored
  auto exp = parse_exposition(m.render_prometheus());
  std::vector<std::pair<double, double>> buckets;  // (le, count)
  for (const auto& s : exp.samples)
    if (s.name == "mediaflow_frame_latency_seconds_bucket") {
      ASSERT_EQ(s.labels.size(), 1u);
      const std::string le = s.labels.at("le");
      buckets.emplace_back(le == "+Inf" ? INFINITY : std::stod(le), s.value);
    }
  ASSERT_GE(buckets.size(), 10u);
  EXPECT_TRUE(std::isinf(buckets.back().first));
  for (std::size_t i = 1; i < buckets.size(); ++i) {
    EXPECT_LT(buckets[i - 1].first, buckets[i].first);   // le ascending
    EXPECT_LE(buckets[i - 1].second, buckets[i].second);  // cumulative
  }
  auto count_le = [&](double le) {
    for (auto [b, c] : buckets)
      if (b == le) return c;
    return -1.0;
  };
  EXPECT_EQ(count_le(0.00001), 1);
  EXPECT_EQ(count_le(0.00005), 2);
  EXPECT_EQ(count_le(0.001), 2);
  EXPECT_EQ(count_le(0.0025), 3);
  EXPECT_EQ(count_le(1.0), 3);
  EXPECT_EQ(buckets.back().second, 4);
  EXPECT_EQ(exp.value("mediaflow_frame_latency_seconds_count"), 4);
  EXPECT_NEAR(exp.value("mediaflow_frame_latency_seconds_sum"), 2.002035, 1e-9);
  // A value exactly on a bound falls in that bucket (le = less or equal).
  Metrics m2;
  m2.frame_latency().observe(0.001);
  auto exp2 = parse_exposition(m2.render_prometheus());
  auto bucket2 = [&](double le) {
    for (const auto& s : exp2.samples)
      if (s.name == "mediaflow_frame_latency_seconds_bucket" && s.labels.at("le") != "+Inf" &&
          std::stod(s.labels.at("le")) == le)
        return s.value;
    return -1.0;
  };
  EXPECT_EQ(bucket2(0.001), 1);
  EXPECT_EQ(bucket2(0.0005), 0);
}

TEST(Metrics, LabelValuesAreEscapedAndBounded) {
  Metrics m;
  m.frames_dropped("we\"ird\\va\nlue").inc();
  auto exp = parse_exposition(m.render_prometheus());
  EXPECT_EQ(exp.value("mediaflow_frames_dropped_total", {{"reason", "we\"ird\\va\nlue"}}), 1);

  for (int i = 0; i < 100; ++i) m.vendor_reconnects("vendor" + std::to_string(i)).inc();
  exp = parse_exposition(m.render_prometheus());
  std::set<std::string> vendors;
  double total = 0;
  for (const auto& s : exp.samples)
    if (s.name == "mediaflow_vendor_reconnects_total") {
      vendors.insert(s.labels.at("vendor"));
      total += s.value;
    }
  EXPECT_LE(vendors.size(), mediaflow::metric::CounterFamily::kMaxLabelValues);
  EXPECT_TRUE(vendors.count("other"));
  EXPECT_EQ(total, 100);  // nothing lost, just folded into "other"
}

TEST(Metrics, ConcurrentIncrementsAreNotLost) {
  Metrics m;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&m, t] {
      auto& in = m.frames_in();
      auto& rejected = m.messages_rejected(t % 2 ? "malformed_json" : "unknown_event");
      for (int i = 0; i < kPerThread; ++i) {
        in.inc();
        rejected.inc();
        m.frame_latency().observe_ns(static_cast<std::uint64_t>(i % 3000) * 1000);
        m.calls_active().inc();
        m.calls_active().dec();
      }
    });
  // Rendering while others count must be safe too.
  for (int i = 0; i < 20; ++i) parse_exposition(m.render_prometheus());
  for (auto& th : threads) th.join();
  auto exp = parse_exposition(m.render_prometheus());
  EXPECT_EQ(exp.value("mediaflow_frames_in_total"), kThreads * kPerThread);
  EXPECT_EQ(exp.value("mediaflow_messages_rejected_total", {{"reason", "malformed_json"}}), 2 * kPerThread);
  EXPECT_EQ(exp.value("mediaflow_frame_latency_seconds_count"), kThreads * kPerThread);
  EXPECT_EQ(exp.value("mediaflow_calls_active"), 0);
}

TEST(Metrics, ProcessWideRegistryIsOneInstance) {
  EXPECT_EQ(&mediaflow::metrics(), &mediaflow::metrics());
  auto before = mediaflow::metrics().pipeline_errors().value();
  mediaflow::metrics().pipeline_errors().inc();
  auto exp = parse_exposition(mediaflow::metrics().render_prometheus());
  EXPECT_EQ(exp.value("mediaflow_pipeline_errors_total"), static_cast<double>(before + 1));
}
