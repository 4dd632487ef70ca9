// The one RFC 6455 engine, for both ends of a WebSocket: the host's call sockets (server role,
// server::WebSocketConnection) and the vendor connections (client role, WebSocketClient). It
// owns a connected socket on the loop's EpollDispatcher and everything after the opening
// handshake:
// - frames read in place from the dispatcher's shared read buffer (no copy, no per-frame
//   GBytes or GSource) by protocol::websocket::MessageReader: the masking rule of the role,
//   the message size cap (1009), UTF-8 text (1007), control-frame and close-code rules (1002);
// - sends written at once, header and payload in one vectored send (server role: no copy; a
//   client masks a copy, RFC 6455 §5.3); only what the kernel does not take is queued, and
//   backlog_bytes() is what the owner measures backpressure by;
// - pings answered, pongs reported, optional keepalive pings;
// - the close handshake with its deadline; after a protocol error in the server role the
//   write side is shut down once our close frame is out and the input drained (bounded in
//   time and bytes) before the socket is closed, so the peer reads the code, not a reset.
//
// Before open() the stream is in its handshake: what is read goes to the delegate as it came
// (a client reads its upgrade answer there) and send_raw() writes (the upgrade request). A
// server-role stream is opened at once with the bytes that followed the upgrade request.
//
// Threading: one GMainContext (the dispatcher's). Callbacks run from the loop (socket events
// and the stream's timers), never from inside a call into the stream except close() after a
// protocol error in the client role (called from the delegate's on_ws_protocol_error). A failed
// write only marks the stream broken; the delegate hears on_ws_closed() from the loop.
#pragma once

#include <mediaflow/net/epoll_dispatcher.hpp>
#include <mediaflow/net/outbound_queue.hpp>
#include <mediaflow/protocol/websocket_frame.hpp>

#include <gio/gio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

struct iovec;

namespace mediaflow::net {

class WebSocketStream : private EpollDispatcher::Handler {
 public:
  enum class Role {
    kServer,  // frames out unmasked; every frame in must be masked
    kClient,  // frames out masked; no frame in may be
  };
  enum class State { kHandshake, kOpen, kClosing, kClosed };

  struct Options {
    Role role = Role::kServer;
    // Largest incoming message, all its fragments together: a bigger one is a protocol error
    // (1009) found at the header that crosses it, before it is buffered.
    std::size_t max_message_bytes = 64 * 1024;
    // From our close frame (or our answer to the peer's) to the socket's close at the latest.
    unsigned close_timeout_ms = 2000;
    // Keepalive pings while open; 0: none (the host pings from its own tick).
    unsigned ping_interval_ms = 0;
  };

  class Delegate {
   public:
    // A complete message (reassembled when fragmented); valid only during the call.
    virtual void on_ws_text(std::string_view text, gint64 arrival_us) = 0;
    virtual void on_ws_binary(std::span<const std::uint8_t> bytes, gint64 arrival_us) = 0;
    // The peer broke the protocol or the size cap: nothing more is read; answer with close().
    virtual void on_ws_protocol_error(std::uint16_t code, const char* reason) = 0;
    virtual void on_ws_pong() = 0;
    // Once, when the socket is closed (close handshake done, peer gone, I/O error, deadline).
    virtual void on_ws_closed() = 0;
    // Before open(): bytes as they were read (a client's upgrade answer and what follows it).
    virtual void on_ws_handshake_bytes(std::span<const std::uint8_t> bytes) { (void)bytes; }

   protected:
    ~Delegate() = default;
  };

  // Takes over a connected plain socket (referenced).
  WebSocketStream(EpollDispatcher& dispatcher, const Options& options, GSocket* socket);
  // Takes over a connection (referenced). When it wraps its socket (TLS, a proxy's stream),
  // every byte goes through its pollable streams, and reads drain them until they would block:
  // TLS may hold decrypted bytes the socket no longer signals.
  WebSocketStream(EpollDispatcher& dispatcher, const Options& options, GSocketConnection* connection);
  // Closes the socket without a callback. Virtual: server::WebSocketConnection derives from it.
  virtual ~WebSocketStream();
  WebSocketStream(const WebSocketStream&) = delete;
  WebSocketStream& operator=(const WebSocketStream&) = delete;

  // Watches the socket; false when it cannot (the socket is then closed, error() says why, and
  // no callback follows).
  bool start(Delegate* delegate);
  // While the stream runs from the loop (socket events, its timers) it holds `owner`, so a
  // callback that drops the owner's last reference does not destroy the stream under its feet.
  // Owners that never destroy the stream from its callbacks need not set one.
  void hold_owner_while_dispatching(std::weak_ptr<void> owner) { owner_ = std::move(owner); }

  // Handshake only: bytes written as they are (queued behind what the socket did not take).
  void send_raw(std::string_view bytes);
  // Ends the handshake: frames from now on. `early_bytes` (what the peer sent right behind its
  // handshake) are read first, from the loop, not from inside this call.
  void open(std::string early_bytes = {});

  State state() const { return state_; }
  // Open and no write has failed: sends are worth making.
  bool is_open() const { return state_ == State::kOpen && !broken_; }
  bool is_closed() const { return state_ == State::kClosed; }

  // Dropped unless open.
  void send_text(std::string_view text);
  void send_binary(std::span<const std::uint8_t> bytes);
  void send_ping();
  // Queues a close frame behind everything queued so far; the socket closes once the peer
  // answers it, or after close_timeout_ms. Only an open stream is closed this way (abort()
  // ends a handshake).
  void close(std::uint16_t code, std::string_view reason);
  // Closes the socket now, without a close frame or a callback.
  void abort();

  // Corked, frames queue instead of being written at once; uncork() writes the queue in one
  // sendmsg (close() and abort() uncork first). The host corks a call's socket until its loop
  // is about to poll again, so that what one wake-up produces for a caller (an agent's audio
  // frame and its mark: two sends from two GStreamer pushes) leaves in one system call.
  void cork() { corked_ = true; }
  void uncork();
  bool corked() const { return corked_; }

  // Bytes accepted by send_*() that the kernel has not taken yet (backpressure).
  std::size_t backlog_bytes() const { return out_.size(); }
  // Caps the kernel's send buffer (SO_SNDBUF); 0 leaves autotuning on.
  void limit_kernel_send_buffer(std::size_t bytes);

  // The peer's close frame: its code (1005 when it had none; 1006 while none came) and reason.
  std::uint16_t close_code() const { return close_code_; }
  const std::string& close_reason() const { return close_reason_; }
  // Why the stream ended on our side (protocol error, peer gone, I/O error, deadline); empty
  // after a clean close handshake.
  const std::string& error() const { return error_; }

 private:
  WebSocketStream(EpollDispatcher& dispatcher, const Options& options, GSocket* socket, GIOStream* stream);

  // Open and watched: pings, then what came behind the handshake.
  void begin_frames();
  void on_io(std::uint32_t events) override;
  void read_ready();
  void read_early_bytes();
  // Feeds what was read to the frame reader (after a protocol error it is only counted as
  // drained). False once the stream is closed: stop reading.
  bool consume(std::span<std::uint8_t> data, gint64 arrival_us);
  bool handle_message(const protocol::websocket::Message& message, gint64 arrival_us);
  void send_frame(protocol::websocket::Opcode opcode, std::string_view payload);
  // Writes `first` then `second` now (one vectored write), queues what the socket did not take.
  void write_now(std::string_view first, std::string_view second);
  void flush();
  void update_interest();
  // A write failed inside a send: the stream is broken, the delegate hears it from the loop.
  void write_failed();
  void arm_deadline(unsigned ms, std::string why);
  void schedule_ping();
  // Our close frame is out: close the socket, or after a protocol error drain it first.
  void end_after_close_frame();
  void close_socket(std::string why);
  void release_socket();
  std::string peer() const;  // "the client" or "the server", for error()

  // I/O on the plain socket or the wrapping streams. Reads: >0 bytes, 0 end of stream,
  // kWouldBlock, kFailed (io_error_ set). Writes: bytes taken (0: would block) or kFailed.
  static constexpr long kWouldBlock = -1;
  static constexpr long kFailed = -2;
  long read_some(std::span<std::uint8_t> buffer);
  long write_some(const iovec* parts, int count);
  long read_wrapped(std::span<std::uint8_t> buffer);  // the slow path: through the streams
  long write_wrapped(const iovec* parts, int count);

  EpollDispatcher& dispatcher_;
  const Role role_;
  const unsigned close_timeout_ms_;
  const unsigned ping_interval_ms_;
  std::span<std::uint8_t> read_buffer_;  // the dispatcher's, shared by every connection of the loop
  GSocket* socket_;
  GIOStream* stream_;                       // set when taken over from a GSocketConnection
  GPollableInputStream* wrapped_in_ = nullptr;  // set when that connection wraps the socket (TLS)
  GPollableOutputStream* wrapped_out_ = nullptr;
  bool unpollable_ = false;  // it wraps the socket in streams that cannot be read without blocking
  int fd_;
  Delegate* delegate_ = nullptr;
  std::weak_ptr<void> owner_;
  protocol::websocket::MessageReader reader_;
  State state_ = State::kHandshake;
  bool registered_ = false;
  bool want_write_ = false;
  bool broken_ = false;            // a write failed: the socket is dead
  bool reader_failed_ = false;     // after a protocol error: input is discarded
  bool close_after_flush_ = false;
  bool corked_ = false;            // cork(): frames wait in out_ for uncork()
  bool draining_ = false;          // write side shut down after a protocol error, input dropped
  std::size_t drained_bytes_ = 0;  // read and dropped since then
  std::uint32_t mask_state_;       // client role: xorshift32 for mask keys
  OutboundQueue out_;              // what the kernel has not taken yet
  std::string frame_;              // client role: scratch for one masked frame
  std::string early_bytes_;        // not read yet: before any byte from the socket
  std::uint16_t close_code_ = protocol::websocket::close_code::kAbnormal;
  std::string close_reason_;
  std::string error_;
  std::string io_error_;           // the last read or write error (errno or GError text)
  EpollDispatcher::Timer early_bytes_timer_;
  EpollDispatcher::Timer deadline_timer_;  // close handshake, then drain
  EpollDispatcher::Timer ping_timer_;
  EpollDispatcher::Timer report_timer_;    // reports a failed write from the loop
};

}  // namespace mediaflow::net
