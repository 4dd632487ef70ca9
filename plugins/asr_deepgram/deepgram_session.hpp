// One Deepgram live-transcription stream for the life of a call: the WebSocket
// (net::WebSocketClient: the socket in the loop's shared epoll set), keepalives, reconnects
// with capped exponential backoff, the bounded audio backlog and the end-of-stream handshake.
// Its timers are deadlines on the loop's shared dispatcher, not GSources of its own.
// GStreamer-free; the element turns its events into bus messages.
//
// Threading: push_audio() may be called from any thread. Everything else runs on the
// GMainContext given at creation (the element's LoopContext); events are emitted there.
#pragma once

#include "audio_backlog.hpp"
#include "deepgram_protocol.hpp"

#include <mediaflow/net/epoll_dispatcher.hpp>
#include <mediaflow/net/websocket_client.hpp>

#include <glib.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace mediaflow::deepgram {

struct SessionConfig {
  std::string url;      // full listen URL (build_listen_url)
  std::string api_key;  // sent as "Authorization: Token <key>"; never logged
  std::size_t bytes_per_second = 32000;
  std::size_t frame_bytes = 2;  // bytes per sample frame
  std::uint8_t silence = 0;
  std::size_t backlog_bytes = 320000;
  unsigned keepalive_ms = 4000;
  unsigned max_reconnects = 5;  // consecutive failed attempts before giving up
  unsigned finalize_timeout_ms = 5000;
  unsigned backoff_initial_ms = 100;
  unsigned backoff_max_ms = 5000;
};

struct SessionEvents {
  // A server message. `connection_start_s` is the call time (s) of the first byte of audio
  // sent on the connection it came from: add it to Deepgram's times to get call time.
  std::function<void(const ServerMessage&, double connection_start_s)> message;
  // A new connection attempt after a drop or a failed attempt.
  std::function<void()> reconnecting;
  // Transcription stops for this call (auth refused, vendor gone); the call goes on.
  std::function<void(const std::string&)> warning;
  // finish() is done: final results delivered (or the bound expired, or there is no vendor).
  std::function<void()> finished;
  // Released on shutdown (lets the element keep itself alive while callbacks may fire).
  std::shared_ptr<void> owner;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  static std::shared_ptr<Session> create(SessionConfig config, SessionEvents events);
  ~Session();

  // Any thread. Returns true when a flush() should be scheduled on the context.
  bool push_audio(const std::uint8_t* data, std::size_t size, std::uint64_t call_time_ns);
  // Call time of the end of the held audio (for buffers without timestamps).
  std::uint64_t end_time();

  // On the context:
  void start();     // connect
  void flush();     // send whole frames of pending audio
  void finish();    // send the rest + CloseStream; emits `finished` when done (bounded)
  void shutdown();  // drop everything now; no event afterwards

 private:
  enum class State { kIdle, kConnecting, kOpen, kBackoff, kDone, kDisabled };
  Session(SessionConfig config, SessionEvents events);

  void connect();
  void on_connected();
  void on_connect_failed(const net::WebSocketConnectFailure& failure);
  void on_text(std::string_view text);
  void on_closed();
  void connection_lost();
  void give_up(const std::string& why);
  void close_socket(bool send_close);
  void send_pending(bool all);
  void send_close_stream();
  void schedule_keepalive();
  void keepalive_due();
  void done();

  SessionConfig config_;
  SessionEvents events_;

  GMutex mutex_;  // guards backlog_
  AudioBacklog backlog_;
  std::atomic<bool> discard_{false};
  std::atomic<bool> flush_pending_{false};

  // Context-only state.
  State state_ = State::kIdle;
  std::shared_ptr<net::EpollDispatcher> dispatcher_;  // the context's; before the timers
  std::shared_ptr<net::WebSocketClient> ws_;
  net::EpollDispatcher::Timer keepalive_timer_;
  net::EpollDispatcher::Timer retry_timer_;
  net::EpollDispatcher::Timer finalize_timer_;
  unsigned failed_attempts_ = 0;
  bool audio_sent_on_connection_ = false;
  std::uint64_t connection_start_ns_ = 0;
  gint64 last_send_us_ = 0;
  bool finishing_ = false;
  bool close_stream_sent_ = false;
  bool shut_down_ = false;
  std::vector<std::uint8_t> chunk_;
};

}  // namespace mediaflow::deepgram
