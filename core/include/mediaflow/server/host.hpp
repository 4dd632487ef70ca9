// The production host: N worker loops (one per core) sharing one port with SO_REUSEPORT,
// each serving HTTP and every transport's media WebSocket; calls stay on the worker that
// accepted them. Drain and reload are driven from the main thread (see cmd_serve.cpp).
#pragma once

#include <mediaflow/server/config.hpp>
#include <mediaflow/server/served_transports.hpp>

#include <glib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mediaflow::pipeline {
class PipelineCatalog;
}

namespace mediaflow::evidence {
class EvidenceService;
}

namespace mediaflow::server {

class Worker;

class Host {
 public:
  Host(ServerConfig config, std::shared_ptr<pipeline::PipelineCatalog> catalog);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Binds and starts the worker threads. False with *error on failure (nothing left running).
  bool start(std::string* error);
  uint16_t port() const { return port_; }

  // SIGTERM: /health turns 503, new calls are refused (closed 1001), live calls may finish
  // for drain_timeout_seconds and are then closed 1001 with their pipelines finished.
  // `on_idle` runs (on a worker thread) once draining and no call remains.
  void begin_drain(std::function<void()> on_idle);
  bool draining() const { return draining_.load(std::memory_order_acquire); }
  // Draining and past the lame-duck window (DRAIN_LAME_DUCK_SECONDS): new calls are refused.
  bool refusing_new_calls() const;

  // Stops and joins the workers (calls still open are closed 1001 first).
  void stop();

  const ServerConfig& config() const { return config_; }
  // The media planes served, each at its path (fixed at start()).
  const std::vector<ServedTransport>& transports() const { return transports_; }
  pipeline::PipelineCatalog& catalog() { return *catalog_; }

  // Call accounting shared by all workers.
  // A call is admitted at its `start` message, not at the upgrade: a socket is not a call.
  bool try_admit_call();       // false when at MAX_CONCURRENT_CALLS
  void call_ended();
  // Upgraded connections that have not sent `start` yet (bounded by START_TIMEOUT_SECONDS):
  // they hold no call slot but may still become calls, so a drain waits for them.
  void awaiting_start(int delta);
  // Draining and no call left: runs the drain callback once. Called by the workers' tick.
  void check_drained();
  // An accepted upgrade whose WebSocket callback has not run yet counts as a call for draining.
  void upgrade_pending(int delta) { pending_upgrades_.fetch_add(delta, std::memory_order_acq_rel); }
  unsigned active_calls() const { return active_calls_.load(std::memory_order_acquire); }
  // Accepted connections not upgraded yet, across workers: false at MAX_PENDING_CONNECTIONS.
  bool try_open_pending_connection();
  void pending_connection_closed() { pending_connections_.fetch_sub(1, std::memory_order_acq_rel); }

  // Appends one JSON line to a call's transcript file, off the loop thread (disk may block).
  // An empty path drops the line (the call has no recording folder).
  void write_call_event(const std::string& path, std::string json_line);
  // The call is over: its transcript file is closed after the lines queued before.
  void close_call_events(const std::string& path);

  // Uploads and call-event webhooks (docs/evidence.md); inert when not configured.
  evidence::EvidenceService& evidence() { return *evidence_; }

 private:

  ServerConfig config_;
  std::shared_ptr<pipeline::PipelineCatalog> catalog_;
  std::vector<ServedTransport> transports_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uint16_t port_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<unsigned> active_calls_{0};
  std::atomic<int> pending_upgrades_{0};
  std::atomic<int> awaiting_start_{0};
  std::atomic<unsigned> pending_connections_{0};
  std::function<void()> on_drained_;
  std::atomic<bool> drained_fired_{false};
  std::unique_ptr<class EventFileWriter> event_writer_;
  std::unique_ptr<evidence::EvidenceService> evidence_;
  std::atomic<gint64> drain_deadline_us_{0};
  std::atomic<gint64> refuse_from_us_{0};  // end of the lame-duck window
};

}  // namespace mediaflow::server
