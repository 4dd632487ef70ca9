#include <mediaflow/server/host.hpp>

#include <mediaflow/plugin_registry.hpp>

#include "server/event_file_writer.hpp"
#include "server/reuseport_socket.hpp"
#include "server/worker.hpp"

#include <glib.h>

#include <cstring>
#include <mutex>

#include <mediaflow/evidence/evidence_service.hpp>
#include <mediaflow/log.hpp>
#include <mediaflow/metrics.hpp>
#include <mediaflow/server/redis_url.hpp>

namespace mediaflow::server {
namespace {

void drop_log_message(const gchar*, GLogLevelFlags, const gchar*, gpointer) {}

// libsoup 3.2 logs two g_debug() lines per WebSocket frame it reads or writes. GLib 2.74
// formats every one and runs the structured writer (getenv G_MESSAGES_DEBUG, domain match)
// before dropping it: ~11k instructions per 20 ms frame of an echo call, 18 % of the host's
// CPU (callgrind, docs/benchmarks.md). A handler for that domain and level skips the writer.
// G_MESSAGES_DEBUG=libsoup (or all) keeps the messages.
void silence_libsoup_frame_debug() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* wanted = g_getenv("G_MESSAGES_DEBUG");
    if (wanted && (std::strstr(wanted, "libsoup") || std::strstr(wanted, "all"))) return;
    g_log_set_handler("libsoup", G_LOG_LEVEL_DEBUG, drop_log_message, nullptr);
  });
}

}  // namespace

Host::Host(ServerConfig config, std::shared_ptr<pipeline::PipelineCatalog> catalog)
    : config_(std::move(config)), catalog_(std::move(catalog)),
      event_writer_(std::make_unique<EventFileWriter>()),
      evidence_(std::make_unique<evidence::EvidenceService>(
          config_.evidence, config_.recordings_dir,
          [w = event_writer_.get()](std::function<void()> fn) { w->run_after(std::move(fn)); })) {}

Host::~Host() { stop(); }

bool Host::start(std::string* error) {
  silence_libsoup_frame_debug();
  if (config_.instance_id.empty()) config_.instance_id = g_get_host_name();
  metrics().set_instance(config_.instance_id);
  log::set_instance(config_.instance_id);
  metrics().set_redis_enabled(!config_.redis_url.empty());
  if (!config_.redis_url.empty() && !parse_redis_url(config_.redis_url, error)) return false;
  transports_ = serve_transports(loaded_transports(), config_, error);
  if (transports_.empty()) return false;
  // The spool first: what a previous process left resumes before new calls add to it.
  if (!evidence_->start(error)) return false;
  uint16_t port = config_.port;
  for (unsigned i = 0; i < config_.workers; ++i) {
    // The first socket fixes the port (PORT=0 picks one); the others share it via SO_REUSEPORT.
    GSocket* socket = listen_reuseport(config_.bind, port, error);
    if (!socket) {
      stop();
      return false;
    }
    if (i == 0) port = local_port(socket);
    auto worker = std::make_unique<Worker>(*this, i);
    if (!worker->start(socket, error)) {
      stop();
      return false;
    }
    workers_.push_back(std::move(worker));
  }
  port_ = port;
  return true;
}

void Host::begin_drain(std::function<void()> on_idle) {
  on_drained_ = std::move(on_idle);
  // Lame duck first (health 503, calls still admitted), then the drain proper.
  refuse_from_us_ = g_get_monotonic_time() + gint64(config_.drain_lame_duck_seconds) * G_USEC_PER_SEC;
  drain_deadline_us_ = refuse_from_us_ + gint64(config_.drain_timeout_seconds) * G_USEC_PER_SEC;
  draining_.store(true, std::memory_order_release);
  metrics().draining().set(1);
  for (auto& w : workers_) w->begin_drain();
  check_drained();
}

void Host::stop() {
  for (auto& w : workers_) w->stop();
  workers_.clear();
  if (event_writer_) event_writer_->flush();
  // Hand-offs of the last calls reach the spool; jobs not finished stay there for next time.
  if (evidence_) evidence_->stop();
}

bool Host::try_admit_call() {
  unsigned n = active_calls_.load(std::memory_order_relaxed);
  do {
    if (n >= config_.max_concurrent_calls) return false;
  } while (!active_calls_.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel));
  metrics().calls_active().inc();
  return true;
}

void Host::awaiting_start(int delta) {
  awaiting_start_.fetch_add(delta, std::memory_order_acq_rel);
  metrics().connections_awaiting_start().inc(delta);
  if (delta < 0) check_drained();
}

bool Host::try_open_pending_connection() {
  unsigned n = pending_connections_.load(std::memory_order_relaxed);
  do {
    if (n >= config_.max_pending_connections) return false;
  } while (!pending_connections_.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel));
  return true;
}

void Host::call_ended() {
  active_calls_.fetch_sub(1, std::memory_order_acq_rel);
  metrics().calls_active().dec();
  check_drained();
}

bool Host::refusing_new_calls() const {
  return draining() && g_get_monotonic_time() >= refuse_from_us_.load(std::memory_order_acquire);
}

void Host::check_drained() {
  // Not while the lame-duck window lasts: calls may still arrive (the workers' tick re-checks).
  if (draining() && g_get_monotonic_time() < refuse_from_us_.load(std::memory_order_acquire)) return;
  if (!draining() || active_calls() != 0 || pending_upgrades_.load(std::memory_order_acquire) > 0 ||
      awaiting_start_.load(std::memory_order_acquire) > 0)
    return;
  // Uploads and events in flight get until the drain deadline (the workers' tick re-checks);
  // what is left after it stays in the spool for the next start.
  if (!evidence_->idle() && g_get_monotonic_time() < drain_deadline_us_.load()) return;
  if (drained_fired_.exchange(true)) return;
  if (!evidence_->idle()) {
    const auto s = evidence_->stats();
    log::warn("drain_left_in_spool", {{"events", s.events}, {"uploads", s.uploads}});
  }
  if (on_drained_) on_drained_();
}

void Host::write_call_event(const std::string& path, std::string json_line) {
  if (path.empty()) return;
  event_writer_->append(path, std::move(json_line));
}

void Host::close_call_events(const std::string& path) {
  if (path.empty()) return;
  event_writer_->close(path);
}

}  // namespace mediaflow::server
