// One Twilio Media Streams WebSocket = one call: parses envelopes, builds the call's pipeline
// on `start`, pushes media inline into twiliosrc, sends twiliosink's outbound messages,
// enforces the guards (size, binary, idle, keepalive, backpressure) and finishes the call so
// that every sink sees EOS (recordings finalised) before teardown. Worker thread only.
#pragma once

#include <gst/gst.h>
#include <libsoup/soup.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mediaflow::server {

class Worker;

class CallSession : public std::enable_shared_from_this<CallSession> {
 public:
  CallSession(Worker& worker, SoupWebsocketConnection* connection, GSocket* socket);
  ~CallSession();
  CallSession(const CallSession&) = delete;
  CallSession& operator=(const CallSession&) = delete;

  // Connects the WebSocket signals; call once, right after construction.
  void attach();
  // Closes the call: EOS through the pipeline (bounded wait), then the WebSocket with `code`.
  void finish(unsigned short code, const char* reason, const char* outcome);
  // Housekeeping tick (once a second): idle and keepalive deadlines.
  void tick(gint64 now_us);
  bool finished() const { return state_ == State::kDone; }

 private:
  enum class State { kOpen, kFinishing, kClosing, kDone };
  struct Ingest {
    GstElement* element;
    bool outbound_track;
  };

  static void on_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer self);
  static void on_closed(SoupWebsocketConnection*, gpointer self);
  static void on_pong(SoupWebsocketConnection*, GBytes*, gpointer self);
  static void on_outbound(GstElement* sink, const gchar* json, gpointer self);
  static gboolean on_bus(GstBus*, GstMessage*, gpointer self);
  gboolean on_eos_timeout();
  gboolean on_close_when_flushed();
  // Runs `fn` on the call's loop after `ms` (0 = when idle); the source keeps the session alive.
  guint schedule(guint ms, gint priority, gboolean (CallSession::*fn)());

  void handle_text(const char* data, gsize size, gint64 arrival_us);
  void handle_start(const struct StartInfo& start);
  void send_outbound(const char* json);
  void close_socket();
  void teardown_pipeline();
  void maybe_done();

  Worker& worker_;
  SoupWebsocketConnection* connection_;
  GSocket* socket_;
  State state_ = State::kOpen;
  unsigned short close_code_ = 1000;
  std::string close_reason_;
  std::string outcome_;
  bool socket_closed_ = false;
  bool started_ = false;

  std::string stream_sid_;
  std::string call_sid_;
  std::string pipeline_name_;

  GstElement* pipeline_ = nullptr;
  guint bus_watch_ = 0;
  guint eos_timeout_ = 0;
  std::vector<Ingest> ingests_;
  guint push_media_signal_ = 0;
  guint end_of_stream_signal_ = 0;

  gint64 last_inbound_us_ = 0;
  gint64 last_pong_us_ = 0;
  std::size_t outbound_backlog_bytes_ = 0;
  unsigned sends_since_writable_check_ = 0;
  unsigned flush_attempts_ = 0;
  std::string transcript_path_;
};

}  // namespace mediaflow::server
