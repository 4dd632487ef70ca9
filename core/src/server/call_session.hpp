// One Twilio Media Streams WebSocket = one call: parses envelopes, builds the call's pipeline
// on `start`, pushes media inline into twiliosrc, sends twiliosink's outbound messages,
// enforces the guards (size, binary, idle, keepalive, backpressure) and finishes the call so
// that every sink sees EOS (recordings finalised) before teardown. Worker thread only.
#pragma once

#include <mediaflow/server/realtime_budget.hpp>
#include "server/websocket_connection.hpp"

#include <gst/gst.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mediaflow::server {

class Worker;

class CallSession : public std::enable_shared_from_this<CallSession>, private WebSocketConnection::Delegate {
 public:
  // Takes over the upgraded connection (`socket`) with the bytes the client sent right after
  // its upgrade request (`early_bytes`, read before anything else).
  CallSession(Worker& worker, GSocket* socket, std::string early_bytes);
  ~CallSession();
  CallSession(const CallSession&) = delete;
  CallSession& operator=(const CallSession&) = delete;

  // Starts reading the WebSocket; call once, right after construction (needs shared_from_this).
  void attach();
  // Closes the call: EOS through the pipeline (bounded wait), then the WebSocket with `code`.
  void finish(unsigned short code, const char* reason, const char* outcome);
  // The upgrade is done and the connection may now send `start` (START_TIMEOUT_SECONDS): it is
  // counted apart from calls until then (Host::awaiting_start).
  void await_start();
  bool admitted() const { return admitted_; }
  // Housekeeping tick (once a second): idle and keepalive deadlines, pings.
  void tick(gint64 now_us);
  bool finished() const { return state_ == State::kDone; }

 private:
  enum class State { kOpen, kFinishing, kClosing, kDone };
  struct Ingest {
    GstElement* element;
    bool outbound_track;
  };

  void on_ws_text(std::string_view text, gint64 arrival_us) override;
  void on_ws_binary(std::span<const std::uint8_t> bytes, gint64 arrival_us) override;
  void on_ws_protocol_error(std::uint16_t code, const char* reason) override;
  void on_ws_pong() override;
  void on_ws_closed() override;
  static void on_outbound(GstElement* sink, const gchar* json, gpointer self);
  // Bus messages arrive on the posting thread; the ones the host acts on are handed to the
  // call's loop (no bus watch: a watch is one more polled fd per call on the loop).
  static GstBusSyncReply on_bus_sync(GstBus*, GstMessage*, gpointer self);
  void on_bus(GstMessage* msg);
  gboolean on_eos_timeout();
  gboolean on_close_when_flushed();
  // Runs `fn` on the call's loop after `ms` (0 = when idle); the source keeps the session alive.
  guint schedule(guint ms, gint priority, gboolean (CallSession::*fn)());

  void handle_text(const char* data, gsize size, gint64 arrival_us);
  void handle_start(const struct StartInfo& start);
  // After admission: the call's pipeline from its pipeline file, then PLAYING.
  void start_pipeline(const struct StartInfo& start);
  void on_cluster_decision(int decision);  // ClusterAdmission::Decision
  // Takes a call slot at `start`; false when refused (the connection is then closing).
  bool admit();
  void refuse(unsigned short code, const char* reason, const char* outcome);
  void stop_awaiting_start();
  void push_media(const struct MediaInfo& media, gint64 arrival_us);
  void push_buffer(GstBuffer* buffer, guint64 timestamp_ms, bool outbound, gint64 arrival_us);
  void send_outbound(const char* json);
  void close_socket();
  void teardown_pipeline();
  void maybe_done();

  Worker& worker_;
  WebSocketConnection connection_;
  State state_ = State::kOpen;
  unsigned short close_code_ = 1000;
  std::string close_reason_;
  std::string outcome_;
  bool admitted_ = false;   // holds a call slot (MAX_CONCURRENT_CALLS)
  bool refused_ = false;    // refused at `start`: counted as a refused call, not a connection
  bool awaiting_start_ = false;
  bool started_ = false;
  gint64 opened_us_ = 0;
  // Cluster admission (REDIS_URL): the lease, and what waits for Redis' answer (≤ REDIS_TIMEOUT_MS).
  std::string lease_;
  std::unique_ptr<struct PendingStart> pending_start_;

  std::string stream_sid_;
  std::string call_sid_;
  std::string pipeline_name_;

  GstElement* pipeline_ = nullptr;
  GstBus* bus_ = nullptr;  // with our sync handler installed
  guint eos_timeout_ = 0;
  std::vector<Ingest> ingests_;
  guint push_media_signal_ = 0;
  guint end_of_stream_signal_ = 0;

  RealtimeBudget inbound_budget_;   // Twilio track "inbound" (the caller)
  RealtimeBudget outbound_budget_;  // track "outbound" of a both_tracks stream
  gint64 last_inbound_us_ = 0;
  gint64 last_pong_us_ = 0;
  gint64 last_ping_us_ = 0;
  std::string transcript_path_;
  std::uint64_t evidence_call_ = 0;  // this call in host.evidence(); 0 = not tracked
};

}  // namespace mediaflow::server
