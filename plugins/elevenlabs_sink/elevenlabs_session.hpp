// One ElevenLabs conversation for the life of a call: the optional signed-URL request (a
// one-off libsoup HTTPS GET), the WebSocket (net::WebSocketClient: the socket in the loop's
// shared epoll set), the initiation message, caller audio, pongs and the stall watchdog (a
// deadline on the loop's shared dispatcher, not a GSource of its own).
// GStreamer-free; the element turns its events into pads, events and bus messages.
//
// Threading: every method runs on the GMainContext that was thread-default at start() (the
// element's LoopContext), and every event is emitted there.
#pragma once

#include "elevenlabs_protocol.hpp"

#include <mediaflow/net/epoll_dispatcher.hpp>
#include <mediaflow/net/websocket_client.hpp>

#include <libsoup/soup.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mediaflow::elevenlabs {

struct SessionConfig {
  std::string agent_id;
  std::string api_key;   // set: signed-URL flow; never logged
  std::string ws_url;    // base conversation URL (ELEVENLABS_WS_URL)
  std::string api_url;   // REST base (ELEVENLABS_API_URL)
  InitiationData initiation;
  unsigned connect_timeout_s = 10;
  unsigned stall_timeout_ms = 20000;  // no message at all from the vendor for this long: failure
  std::size_t pending_limit_bytes = 160000;  // caller audio held until the socket opens
};

struct SessionEvents {
  // Every parsed server message except pings (answered inside) and malformed ones (failure).
  std::function<void(const ServerMessage&)> message;
  // The conversation cannot go on (refused, dropped, stalled, garbage). Emitted once.
  std::function<void(const std::string& why)> failed;
  // The agent ended the conversation itself (a normal 1000 close). Emitted once, instead of
  // `failed`; when unset, a normal close is reported as a failure.
  std::function<void()> ended;
  std::shared_ptr<void> owner;  // released on shutdown
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  static std::shared_ptr<Session> create(SessionConfig config, SessionEvents events);
  ~Session();

  void start();
  // Caller audio in the agent's input format. Held (bounded, oldest dropped) until open.
  void send_audio(const std::uint8_t* data, std::size_t size);
  void send_text(const std::string& json);  // any client message (dropped when not open)
  // Closes the conversation normally (1000); no event afterwards.
  void shutdown();

  bool open() const { return ws_ && ws_->state() == net::WebSocketClient::State::kOpen; }
  std::uint64_t pongs_sent() const { return pongs_sent_; }

 private:
  Session(SessionConfig config, SessionEvents events);

  void request_signed_url();
  void connect(const std::string& url);
  void on_connected();
  void on_connect_failed(const net::WebSocketConnectFailure& failure);
  void on_text(std::string_view text);
  void on_closed();
  void fail(const std::string& why);
  void close_socket(std::uint16_t code);
  void schedule_watchdog();
  void watchdog_due();

  static void signed_url_ready(GObject* source, GAsyncResult* res, gpointer data);

  SessionConfig config_;
  SessionEvents events_;
  bool started_ = false;
  SoupSession* soup_ = nullptr;     // only for the signed-URL request, dropped after it
  SoupMessage* request_ = nullptr;  // the signed-URL request
  GCancellable* cancellable_ = nullptr;
  std::shared_ptr<net::EpollDispatcher> dispatcher_;  // the context's; before the timer
  std::shared_ptr<net::WebSocketClient> ws_;
  net::EpollDispatcher::Timer watchdog_;
  gint64 last_heard_us_ = 0;
  std::vector<std::uint8_t> pending_;
  std::uint64_t pongs_sent_ = 0;
  bool failed_ = false;
  bool shut_down_ = false;
};

}  // namespace mediaflow::elevenlabs
