// One accepted connection before the WebSocket upgrade, on the worker's epoll set: reads one
// HTTP request (protocol::http::RequestParser, with its size limits), asks the router for the
// answer, writes it, and then either hands the socket over (101) or ends the connection —
// `Connection: close`, shut down the write side, read and drop what the peer still sends
// for a short bounded time, close. So a client never gets a reset in place of the answer, and
// nothing waits in CLOSE_WAIT (libsoup 3.2 kept keep-alive connections the client closed).
//
// Deadlines (request complete within the handshake timeout, answer written, linger) are
// checked by check_deadline() from the worker's housekeeping tick: no timer per connection.
// Worker thread only.
#pragma once

#include <mediaflow/net/epoll_dispatcher.hpp>
#include <mediaflow/protocol/http_request.hpp>
#include <mediaflow/protocol/http_response.hpp>

#include <glib.h>

#include <cstdint>
#include <string>

namespace mediaflow::server {

struct ServedTransport;

struct HttpAnswer {
  protocol::http::Response response;
  bool upgrade = false;  // response is a 101: hand the socket over once it is written
  bool requested_while_draining = false;
  const ServedTransport* transport = nullptr;  // whose path the upgrade came on (the host's)
};

class HttpRouter {
 public:
  // The request is complete: what to answer.
  virtual HttpAnswer answer(const protocol::http::Request& request) = 0;
  // The 101 is written: `fd` is now the router's, with the bytes the client sent after the
  // request (a first WebSocket frame) that must be read before anything else.
  virtual void hand_over(int fd, std::string early_bytes, const HttpAnswer& answer) = 0;
  // An answered upgrade whose 101 could not be written (the client left first).
  virtual void upgrade_abandoned(const HttpAnswer& answer) = 0;

 protected:
  ~HttpRouter() = default;
};

class PendingConnections;

class HttpConnection final : public net::EpollDispatcher::Handler {
 public:
  // `owner` hears once, from inside this connection, that it is over (closed or handed over).
  HttpConnection(net::EpollDispatcher& epoll, int fd, HttpRouter& router, PendingConnections& owner,
                 protocol::http::Limits limits, gint64 request_deadline_us);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Starts reading; false when the socket cannot be watched (it is then closed, and done).
  bool start();
  // Closes the connection when the deadline of its phase has passed.
  void check_deadline(gint64 now_us);
  bool done() const { return phase_ == Phase::kDone; }
  // Closes now; `reason` is the mediaflow_connections_closed_total label.
  void close(const char* reason);

 private:
  enum class Phase { kReading, kWriting, kLingering, kDone };

  void on_io(std::uint32_t events) override;
  void read_request();
  void respond(HttpAnswer answer, bool include_body);
  void write_pending();
  void linger();
  void discard_input();

  net::EpollDispatcher& epoll_;
  int fd_;
  HttpRouter& router_;
  PendingConnections& owner_;
  protocol::http::RequestParser parser_;
  Phase phase_ = Phase::kReading;
  gint64 deadline_us_;
  bool continue_sent_ = false;  // "100 Continue" for a client that waits for it
  std::string out_;             // answer bytes not yet written
  std::size_t out_offset_ = 0;
  std::size_t discarded_ = 0;   // bytes read and dropped while lingering
  HttpAnswer answer_;
  const char* close_reason_ = "answered";
};

}  // namespace mediaflow::server
