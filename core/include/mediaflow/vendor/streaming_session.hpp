// One streaming-vendor connection for the life of a call, whatever the vendor: the WebSocket
// (net::WebSocketClient: the socket in the loop's shared epoll set) with the vendor's auth
// headers, its keepalive message, the bounded backlog of audio the vendor has not confirmed
// (AudioBacklog), reconnects with capped exponential backoff that resend that backlog, a stall
// watchdog, and the end-of-stream handshake (the vendor's finalize message, then a bounded
// wait for its last results). Its timers are deadlines on the loop's shared dispatcher, not
// GSources of its own. GStreamer-free: MediaflowVendorAsr (vendor_asr.hpp) drives one per
// element and turns its events into bus messages; a vendor only says what its messages mean.
//
// Audio goes out as binary messages of at least `min_message_bytes` (the element's chunk-ms:
// the latency the framing adds) and at most `max_message_bytes`; at the end whatever is left,
// the last message padded with silence to `min_last_message_bytes`. With `real_time` the
// session never runs ahead of real time by more than the message it is sending (AssemblyAI
// closes a session that does), so a backlog resent after a reconnect goes out at 1x.
//
// Threading: push_audio(), end_time() and finish_bound_ms() may be called from any thread.
// Everything else runs on the GMainContext that is thread-default when start() runs (the
// element's LoopContext); events are emitted there.
#pragma once

#include <mediaflow/net/epoll_dispatcher.hpp>
#include <mediaflow/net/websocket_client.hpp>
#include <mediaflow/vendor/audio_backlog.hpp>
#include <mediaflow/vendor/close_verdict.hpp>

#include <glib.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::vendor {

// How call audio becomes binary messages.
struct AudioFraming {
  std::size_t bytes_per_second = 32000;
  std::size_t frame_bytes = 2;  // bytes per sample frame (messages hold whole frames)
  std::uint8_t silence = 0;     // the byte of a silent sample (mu-law: 0xFF)
  std::size_t min_message_bytes = 1280;   // send once this much is pending
  std::size_t max_message_bytes = 3200;   // never more per message
  std::size_t min_last_message_bytes = 0;  // the last message at finish is padded to this
  bool real_time = false;  // never ahead of real time by more than the message being sent
};

struct SessionConfig {
  std::string url;             // complete, with the vendor's query
  net::HttpHeaders headers;    // authentication; values are never logged
  std::string vendor_name;     // "Deepgram": the subject of the reasons `failed` gives
  std::string error_header;    // a handshake answer's header holding the vendor's reason
  AudioFraming framing;
  std::size_t backlog_bytes = 320000;
  unsigned keepalive_ms = 4000;
  std::string keepalive_message;  // sent after keepalive_ms without sending; empty: none
  std::string finalize_message;   // sent after the last audio at finish()
  std::string open_message;       // sent first on every connection (a TTS vendor's greeting); empty: none
  unsigned max_reconnects = 5;    // consecutive failed attempts before giving up
  unsigned finalize_timeout_ms = 5000;
  unsigned stall_timeout_ms = 0;  // reconnect after this long without a vendor message; 0: never
  unsigned connect_timeout_ms = 10000;  // TCP + TLS + the upgrade answer
  unsigned backoff_initial_ms = 100;
  unsigned backoff_max_ms = 5000;
};

// What one text message of the vendor means to the session (the owner parses it).
struct MessageEffect {
  // A final result: the vendor will not need the audio before this (seconds since the first
  // byte of this connection's audio) again.
  std::optional<double> confirms_until_s;
  bool healthy = false;   // a real result: the vendor works (consecutive failures reset)
  bool finished = false;  // the last answer to the finalize message: nothing more will come
};

struct SessionEvents {
  // A text message. `connection_start_s` is the call time (s) of the first byte of audio sent
  // on the connection it came from: add it to the vendor's times to get call time.
  std::function<MessageEffect(std::string_view text, double connection_start_s)> message;
  // The vendor closed the connection with `code` (other than to answer the finalize message):
  // retry, or give up for the reason given. Unset: every close is retried.
  std::function<CloseVerdict(std::uint16_t code)> closed;
  // A new connection attempt after a drop or a failed attempt.
  std::function<void()> reconnecting;
  // The vendor cannot be used for this call (key refused, unreachable); audio is discarded.
  std::function<void(const std::string& why)> failed;
  // finish() is done: final results delivered (or the bound expired, or there is no vendor).
  std::function<void()> finished;
  // Released on shutdown (lets the owner keep itself alive while callbacks may fire).
  std::shared_ptr<void> owner;
};

class StreamingSession : public std::enable_shared_from_this<StreamingSession> {
 public:
  static std::shared_ptr<StreamingSession> create(SessionConfig config, SessionEvents events);
  ~StreamingSession();
  StreamingSession(const StreamingSession&) = delete;
  StreamingSession& operator=(const StreamingSession&) = delete;

  // Any thread. Returns true when a flush() should be scheduled on the context: a whole
  // message (min_message_bytes) is pending and no flush is scheduled yet. So a vendor batching
  // 100 ms schedules one flush per 5 frames of 20 ms, not one per frame.
  bool push_audio(const std::uint8_t* data, std::size_t size, std::uint64_t call_time_ns);
  // Any thread. Call time of the end of the held audio (for buffers without timestamps).
  std::uint64_t end_time();
  // Any thread. The longest finish() may take: finalize_timeout_ms, plus the held audio's
  // duration when it must go out in real time.
  unsigned finish_bound_ms();

  // On the context:
  void start();     // connect
  void flush();     // send whole messages of pending audio
  // A text message (a TTS vendor's input): sent now when open, else queued for the next
  // connection, in order. Sent text is not replayed after a drop (text has no call time).
  void send_text(std::string message);
  void finish();    // send the rest + the finalize message; emits `finished` when done (bounded)
  void shutdown();  // drop everything now; no event afterwards

 private:
  enum class State { kIdle, kConnecting, kOpen, kBackoff, kDone, kDisabled };
  StreamingSession(SessionConfig config, SessionEvents events);

  void connect();
  void on_connected();
  void on_connect_failed(const net::WebSocketConnectFailure& failure);
  void on_text(std::string_view text);
  void on_closed();
  void connection_lost();
  void give_up(const std::string& why);
  void close_socket(bool send_close);
  bool send_pending(bool all);
  void send_rest_and_finalize();
  void schedule_keepalive();
  void keepalive_due();
  void schedule_stall_check();
  void stall_check_due();
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
  net::EpollDispatcher::Timer pace_timer_;
  net::EpollDispatcher::Timer stall_timer_;
  unsigned failed_attempts_ = 0;
  bool audio_sent_on_connection_ = false;
  std::uint64_t connection_start_ns_ = 0;
  std::uint64_t bytes_sent_on_connection_ = 0;
  gint64 opened_us_ = 0;
  gint64 last_send_us_ = 0;
  gint64 unanswered_since_us_ = 0;  // first audio sent after the vendor's last message; 0: none
  bool stall_armed_ = false;
  bool finishing_ = false;
  bool finalize_sent_ = false;
  bool shut_down_ = false;
  std::vector<std::uint8_t> chunk_;
  std::vector<std::string> queued_text_;
};

}  // namespace mediaflow::vendor
