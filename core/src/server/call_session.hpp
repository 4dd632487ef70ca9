// One call WebSocket = one call, on any transport (transport/codec.hpp): its codec reads the
// messages, the call's pipeline is built at the first one with the transport's @ingest and
// @egress, media is pushed inline into the ingests and the egress' messages go straight out.
// The session enforces the guards (size, idle, keepalive, realtime budget, backpressure) and
// finishes the call so that every sink sees EOS (recordings finalised) before teardown.
// Worker thread only.
#pragma once

#include <mediaflow/server/realtime_budget.hpp>
#include <mediaflow/transport/codec.hpp>
#include <mediaflow/transport/egress_sink.hpp>
#include <mediaflow/transport/ingest_src.hpp>
#include <mediaflow/server/served_transports.hpp>
#include "server/websocket_connection.hpp"

#include <gst/gst.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::server {

class Worker;

class CallSession final : public std::enable_shared_from_this<CallSession>, private WebSocketConnection::Delegate {
 public:
  // Takes over the upgraded connection (`socket`) with the bytes the client sent right after
  // its upgrade request (`early_bytes`, read before anything else), on `transport`'s path.
  CallSession(Worker& worker, GSocket* socket, std::string early_bytes, const ServedTransport& transport);
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

  // Worker::uncork_all(): what this wake-up sent the caller leaves now, in one write.
  void uncork_socket() { connection_.uncork(); }

 private:
  enum class State { kOpen, kFinishing, kClosing, kDone };
  struct Ingest {
    MediaflowIngestSrc* element;  // owned by the pipeline
    MediaflowTrack track;
  };
  class OutboundSender;

  void on_ws_text(std::string_view text, gint64 arrival_us) override;
  void on_ws_binary(std::span<const std::uint8_t> bytes, gint64 arrival_us) override;
  void on_ws_protocol_error(std::uint16_t code, const char* reason) override;
  void on_ws_pong() override;
  void on_ws_closed() override;
  // Bus messages arrive on the posting thread; the ones the host acts on are handed to the
  // call's loop (no bus watch: a watch is one more polled fd per call on the loop).
  static GstBusSyncReply on_bus_sync(GstBus*, GstMessage*, gpointer self);
  void on_bus(GstMessage* msg);
  gboolean on_eos_timeout();
  gboolean on_close_when_flushed();
  // Runs `fn` on the call's loop after `ms` (0 = when idle); the source keeps the session alive.
  guint schedule(guint ms, gint priority, gboolean (CallSession::*fn)());

  void handle(const transport::Inbound& in, gint64 arrival_us);
  void handle_start();
  // After admission: the call's pipeline from its pipeline file, then PLAYING.
  void start_pipeline();
  void pipeline_failed(const char* event, const std::string& error);
  void on_cluster_decision(int decision);  // ClusterAdmission::Decision
  // Takes a call slot at `start`; false when refused (the connection is then closing).
  bool admit();
  void refuse(unsigned short code, const char* reason, const char* outcome);
  void stop_awaiting_start();
  void push_media(const transport::Inbound& audio, gint64 arrival_us);
  void push_buffer(GstBuffer* buffer, std::optional<guint64> timestamp_ms, std::string_view track, gint64 arrival_us);
  void send_outbound(const transport::OutboundMessage& message);
  void close_socket();
  void teardown_pipeline();
  void maybe_done();

  Worker& worker_;
  const ServedTransport& transport_;  // the host's, for its lifetime
  std::unique_ptr<transport::Codec> codec_;
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

  RealtimeBudget inbound_budget_;   // track "inbound" (the caller), or every interleaved track
  RealtimeBudget outbound_budget_;  // track "outbound", where a transport sends it apart
  gint64 last_inbound_us_ = 0;
  gint64 last_pong_us_ = 0;
  gint64 last_ping_us_ = 0;
  std::string transcript_path_;
  std::uint64_t evidence_call_ = 0;  // this call in host.evidence(); 0 = not tracked
};

}  // namespace mediaflow::server
