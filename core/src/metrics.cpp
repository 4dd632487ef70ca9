#include <mediaflow/metrics.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>

namespace mediaflow {
namespace metric {

void Histogram::observe(double seconds) noexcept {
  if (std::isnan(seconds)) return;
  if (seconds < 0) seconds = 0;
  if (seconds > 1.0e9) seconds = 1.0e9;  // keeps the ns sum from overflowing on garbage input
  observe_ns(static_cast<std::uint64_t>(std::llround(seconds * 1e9)));
}

void Histogram::observe_ns(std::uint64_t nanoseconds) noexcept {
  const double seconds = static_cast<double>(nanoseconds) / 1e9;
  // `le` semantics: the first bucket whose upper bound is >= the value.
  auto it = std::lower_bound(kBounds.begin(), kBounds.end(), seconds);
  buckets_[static_cast<std::size_t>(it - kBounds.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(nanoseconds, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const noexcept {
  Snapshot s;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.count = running;
  s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return s;
}

Counter& CounterFamily2::with(std::string_view a, std::string_view b) {
  std::string key(a);
  key.push_back('\x1f');
  key.append(b);
  return inner_.with(key);
}

std::map<std::pair<std::string, std::string>, std::uint64_t> CounterFamily2::values() const {
  std::map<std::pair<std::string, std::string>, std::uint64_t> out;
  for (const auto& [key, count] : inner_.values()) {
    const auto sep = key.find('\x1f');
    if (sep == std::string::npos) out[{key, "other"}] += count;  // the family's overflow child
    else out[{key.substr(0, sep), key.substr(sep + 1)}] += count;
  }
  return out;
}

}  // namespace metric

namespace {

// Shortest round-trip text; `fixed` for bucket bounds so they read 0.0005 rather than 5e-04.
std::string format_double(double v, bool fixed = false) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  auto [end, ec] = fixed ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                         : std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

// Label value escaping of the text format: backslash, double quote, line feed.
std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::uint64_t value) {
  out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

void gauge(std::string& out, std::string_view name, std::string_view help, std::int64_t value) {
  header(out, name, "gauge", help);
  out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

void histogram(std::string& out, std::string_view name, std::string_view help, const metric::Histogram& h) {
  header(out, name, "histogram", help);
  const auto snap = h.snapshot();
  for (std::size_t i = 0; i < metric::Histogram::kBounds.size(); ++i)
    out.append(name).append("_bucket{le=\"").append(format_double(metric::Histogram::kBounds[i], true))
        .append("\"} ").append(std::to_string(snap.cumulative[i])).append("\n");
  out.append(name).append("_bucket{le=\"+Inf\"} ").append(std::to_string(snap.count)).append("\n");
  out.append(name).append("_sum ").append(format_double(snap.sum_seconds)).append("\n");
  out.append(name).append("_count ").append(std::to_string(snap.count)).append("\n");
}

void family(std::string& out, std::string_view name, std::string_view label,
            std::string_view help, const metric::CounterFamily& f) {
  header(out, name, "counter", help);
  for (const auto& [value, count] : f.values())
    out.append(name).append("{").append(label).append("=\"").append(escape_label_value(value))
        .append("\"} ").append(std::to_string(count)).append("\n");
}

void family2(std::string& out, std::string_view name, std::string_view label_a, std::string_view label_b,
             std::string_view help, const metric::CounterFamily2& f) {
  header(out, name, "counter", help);
  for (const auto& [labels, count] : f.values())
    out.append(name).append("{").append(label_a).append("=\"").append(escape_label_value(labels.first))
        .append("\",").append(label_b).append("=\"").append(escape_label_value(labels.second))
        .append("\"} ").append(std::to_string(count)).append("\n");
}

// `as_age`: the gauges hold unix times; the series is the age now (0 when none).
void gauges(std::string& out, std::string_view name, std::string_view label, std::string_view help,
            const metric::GaugeFamily& f, bool as_age) {
  header(out, name, "gauge", help);
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  for (const auto& [value, v] : f.values()) {
    const std::int64_t shown = as_age ? (v > 0 ? std::max<std::int64_t>(0, now - v) : 0) : v;
    out.append(name).append("{").append(label).append("=\"").append(escape_label_value(value))
        .append("\"} ").append(std::to_string(shown)).append("\n");
  }
}

}  // namespace

void Metrics::set_instance(std::string id) {
  std::lock_guard lock(instance_mutex_);
  instance_ = std::move(id);
}

std::string Metrics::render_prometheus() const {
  std::string out;
  out.reserve(4096);
  header(out, "mediaflow_instance_info", "gauge", "This host's INSTANCE_ID (one of a fleet), always 1.");
  {
    std::lock_guard lock(instance_mutex_);
    out.append("mediaflow_instance_info{instance_id=\"").append(escape_label_value(instance_)).append("\"} 1\n");
  }
  gauge(out, "mediaflow_draining", "1 while the host drains after SIGTERM.", draining_.value());
  gauge(out, "mediaflow_calls_active", "Media WebSocket calls currently in progress.", calls_active_.value());
  family(out, "mediaflow_calls_total", "outcome", "Calls ended, by outcome.", calls_total_);
  family(out, "mediaflow_calls_refused_total", "scope",
         "Calls refused admission at their start message, by the limit that refused them.", calls_refused_);
  gauge(out, "mediaflow_connections_awaiting_start",
        "Upgraded media WebSockets that have not sent their start message yet (not calls).",
        connections_awaiting_start_.value());
  family(out, "mediaflow_connections_without_start_total", "reason",
         "Upgraded media WebSockets that ended without sending start (not calls), by reason.",
         connections_without_start_);
  gauge(out, "mediaflow_pipelines_live",
        "Call pipelines built and not yet freed; returns to 0 when no call is live.",
        pipelines_live_.value());
  if (redis_enabled_) {
    gauge(out, "mediaflow_redis_connected",
          "Connections to Redis (cluster admission, one per worker loop) that are up.",
          redis_connected_.value());
    family(out, "mediaflow_redis_errors_total", "reason",
           "Redis failures seen by cluster admission: connect, disconnected, timeout, reply, not_connected.",
           redis_errors_);
  }
  header(out, "mediaflow_frames_in_total", "counter", "Media frames received from Twilio.");
  sample(out, "mediaflow_frames_in_total", frames_in_.value());
  header(out, "mediaflow_frames_out_total", "counter", "Media frames sent to Twilio.");
  sample(out, "mediaflow_frames_out_total", frames_out_.value());
  family(out, "mediaflow_frames_dropped_total", "reason", "Media frames dropped, by reason.",
         frames_dropped_);
  family(out, "mediaflow_messages_rejected_total", "reason",
         "Inbound WebSocket messages counted and skipped, by reason.", messages_rejected_);
  family(out, "mediaflow_auth_failures_total", "reason",
         "Refused media connections and webhook requests, by reason.", auth_failures_);
  family(out, "mediaflow_vendor_reconnects_total", "vendor",
         "Reconnections of vendor WebSocket clients, by vendor.", vendor_reconnects_);
  header(out, "mediaflow_pipeline_errors_total", "counter", "Errors posted by call pipelines.");
  sample(out, "mediaflow_pipeline_errors_total", pipeline_errors_.value());
  family(out, "mediaflow_recordings_total", "outcome", "Recordings finished, by outcome.",
         recordings_);
  family(out, "mediaflow_accept_errors_total", "reason",
         "Failed accept() calls on the listening sockets, by reason (emfile, enfile, enomem, aborted, other).",
         accept_errors_);
  family(out, "mediaflow_connections_shed_total", "reason",
         "Connections closed right after accept without reading a request, by reason (fd_exhaustion, pending_cap).",
         connections_shed_);
  family(out, "mediaflow_connections_closed_total", "reason",
         "Connections closed before a WebSocket upgrade, by reason (answered, bad_request, handshake_timeout, "
         "write_timeout, client_gone, shutdown).",
         connections_closed_);
  gauge(out, "mediaflow_connections_pending",
        "Accepted connections not (yet) upgraded to a WebSocket: reading a request or finishing an answer.",
        connections_pending_.value());
  family(out, "mediaflow_uploads_total", "outcome",
         "Evidence objects stored in the bucket, upload attempts retried, call uploads failed for good.", uploads_);
  family2(out, "mediaflow_events_total", "type", "outcome", "Call-event webhooks, by event type and outcome.",
          events_);
  gauges(out, "mediaflow_spool_items", "kind", "Jobs in the evidence spool, by kind (event, upload, dead).",
         spool_items_, false);
  gauges(out, "mediaflow_spool_oldest_seconds", "kind", "Age of the oldest pending spool job, by kind.",
         spool_oldest_unix_, true);

  histogram(out, "mediaflow_frame_latency_seconds",
            "Time from a media frame's arrival to its push into the call's pipeline.", frame_latency_);
  histogram(out, "mediaflow_pipeline_start_seconds",
            "Time from a call's start message to its pipeline playing (build + state change).",
            pipeline_start_);
  return out;
}

Metrics& metrics() {
  // Deliberately never destroyed: threads still counting during exit must not touch a corpse.
  static Metrics* instance = new Metrics();
  return *instance;
}

}  // namespace mediaflow
