// A call's WebSocket after the upgrade: the front end answers the HTTP handshake (auth, 101),
// then hands the socket over and this class speaks RFC 6455 on it from the worker's epoll set —
// frames parsed in place from the worker's read buffer, a text frame sent with one writev(),
// no per-frame GSource, GBytes or signal emission. Worker thread only.
//
// Delegate callbacks run from the worker loop's dispatch, never from inside a send: a send
// that fails only marks the connection broken; epoll then reports the hang-up.
#pragma once

#include <mediaflow/net/epoll_dispatcher.hpp>
#include <mediaflow/net/outbound_queue.hpp>
#include <mediaflow/protocol/websocket_frame.hpp>

#include <gio/gio.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mediaflow::server {

using net::EpollDispatcher;

class WebSocketConnection final : public EpollDispatcher::Handler {
 public:
  class Delegate {
   public:
    virtual void on_ws_text(std::string_view text, gint64 arrival_us) = 0;
    virtual void on_ws_binary(std::span<const std::uint8_t> bytes, gint64 arrival_us) = 0;
    // The peer broke the protocol or the size cap: nothing more is read; answer with close().
    virtual void on_ws_protocol_error(std::uint16_t code, const char* reason) = 0;
    virtual void on_ws_pong() = 0;
    // Once, when the socket is closed (close handshake done, peer gone, or deadline passed).
    virtual void on_ws_closed() = 0;

   protected:
    ~Delegate() = default;
  };

  // `read_buffer` is the loop's scratch space shared by all its connections (the dispatcher's).
  // `early_bytes`: what the client sent right after its upgrade request (a first frame),
  // read before anything else once started.
  WebSocketConnection(EpollDispatcher& epoll, std::span<std::uint8_t> read_buffer, GSocket* socket,
                      std::string early_bytes, std::size_t max_message_bytes);
  ~WebSocketConnection();
  WebSocketConnection(const WebSocketConnection&) = delete;
  WebSocketConnection& operator=(const WebSocketConnection&) = delete;

  // Caps the kernel's send buffer (SO_SNDBUF); 0 leaves autotuning on.
  void limit_kernel_send_buffer(std::size_t bytes);

  // Starts reading; false when the socket could not be watched (then it is already closed).
  bool start(Delegate* delegate);

  bool is_open() const { return state_ == State::kOpen && !broken_; }
  bool is_closed() const { return state_ == State::kClosed; }
  void send_text(std::string_view text);
  void send_binary(std::span<const std::uint8_t> bytes);
  void send_ping();
  // Queues a close frame after everything queued so far, then closes the socket once the peer
  // answers, or at the deadline checked by tick(). After a protocol error the peer's answer
  // cannot be read: the write side is shut down once the frame is out and the socket drained
  // (bounded in time and bytes) before it is closed, so the peer reads the code, not a reset.
  void close(std::uint16_t code, std::string_view reason);
  // Bytes accepted by send_text() that the kernel has not taken yet (backpressure).
  std::size_t backlog_bytes() const { return out_.size(); }
  // Housekeeping: enforces the close-handshake deadline.
  void tick(gint64 now_us);

 private:
  enum class State { kOpen, kClosing, kClosed };

  void on_io(std::uint32_t events) override;
  void read_ready();
  void read_early_bytes();
  // Feeds the first `n` bytes of read_buffer_ to the frame reader (after a protocol error they
  // are only counted as drained). False when the connection was closed: stop reading.
  bool consume(std::size_t n, gint64 arrival_us);
  bool handle_message(const protocol::websocket::Message& message, gint64 arrival_us);
  void send_frame(protocol::websocket::Opcode opcode, std::string_view payload);
  void flush();
  void update_interest();
  // Our close frame is out: close the socket, or after a protocol error drain it first.
  void end_after_close_frame();
  void close_socket();

  EpollDispatcher& epoll_;
  std::span<std::uint8_t> read_buffer_;
  GSocket* socket_;
  int fd_;
  Delegate* delegate_ = nullptr;
  protocol::websocket::MessageReader reader_;
  State state_ = State::kOpen;
  bool reader_failed_ = false;    // after a protocol error: input is discarded
  bool close_after_flush_ = false;
  bool draining_ = false;         // write side shut down after a protocol error, input dropped
  std::size_t drained_bytes_ = 0; // read and dropped since the protocol error
  bool broken_ = false;           // a send failed: the socket is dead, epoll will say so
  bool want_write_ = false;
  gint64 close_deadline_us_ = 0;
  net::OutboundQueue out_;        // what the kernel has not taken yet
  std::string early_bytes_;       // not read yet: before any byte from the socket
  EpollDispatcher::Timer early_bytes_timer_;
};

}  // namespace mediaflow::server
