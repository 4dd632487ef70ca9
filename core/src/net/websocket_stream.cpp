#include <mediaflow/net/websocket_stream.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

namespace mediaflow::net {
namespace {

namespace ws = protocol::websocket;

// After a protocol error (server role) our close frame is followed by a shutdown of the write
// side and a short drain of what the peer still sends, so its kernel does not answer our
// close() with a reset that may destroy the close frame before the peer has read it.
constexpr unsigned kDrainTimeoutMs = 1000;
constexpr std::size_t kMaxDrainBytes = 256 * 1024;
// Plain sockets: reads per wake-up before yielding to the other connections of the loop
// (level-triggered: the rest is read on the next iteration). Wrapped streams are drained.
constexpr int kMaxPlainReadsPerWakeup = 4;
// A burst's masking buffer is not kept for the rest of the connection.
constexpr std::size_t kKeptFrameCapacity = 64 * 1024;

}  // namespace

WebSocketStream::WebSocketStream(EpollDispatcher& dispatcher, const Options& options, GSocket* socket)
    : WebSocketStream(dispatcher, options, socket, nullptr) {}

WebSocketStream::WebSocketStream(EpollDispatcher& dispatcher, const Options& options, GSocketConnection* connection)
    : WebSocketStream(dispatcher, options, g_socket_connection_get_socket(connection), G_IO_STREAM(connection)) {}

WebSocketStream::WebSocketStream(EpollDispatcher& dispatcher, const Options& options, GSocket* socket,
                                 GIOStream* stream)
    : dispatcher_(dispatcher),
      role_(options.role),
      close_timeout_ms_(options.close_timeout_ms),
      ping_interval_ms_(options.ping_interval_ms),
      read_buffer_(dispatcher.read_buffer()),
      socket_(G_SOCKET(g_object_ref(socket))),
      stream_(stream ? G_IO_STREAM(g_object_ref(stream)) : nullptr),
      fd_(g_socket_get_fd(socket)),
      reader_(options.role == Role::kServer ? ws::MessageReader::Role::kServer : ws::MessageReader::Role::kClient,
              options.max_message_bytes ? options.max_message_bytes : std::numeric_limits<std::size_t>::max()),
      mask_state_(g_random_int() | 1u) {
  if (stream_ && G_IS_TCP_WRAPPER_CONNECTION(stream_)) {
    GInputStream* in = g_io_stream_get_input_stream(stream_);
    GOutputStream* out = g_io_stream_get_output_stream(stream_);
    if (G_IS_POLLABLE_INPUT_STREAM(in) && G_IS_POLLABLE_OUTPUT_STREAM(out)) {
      wrapped_in_ = G_POLLABLE_INPUT_STREAM(in);
      wrapped_out_ = G_POLLABLE_OUTPUT_STREAM(out);
    } else {
      unpollable_ = true;
    }
  }
  // Media and vendor frames are small and latency-bound: never hold one back to coalesce.
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

WebSocketStream::~WebSocketStream() {
  delegate_ = nullptr;
  uncork();  // corked frames were accepted by send_*(): they go, as they would have uncorked
  close_socket({});
}

// The per-frame I/O is `inline`: in a shared library an ordinary member function may be
// interposed, so the compiler would not inline the plain-socket path into the read loop and
// the sends; the wrapped (TLS) path stays out of line.
inline long WebSocketStream::read_some(std::span<std::uint8_t> buffer) {
  if (wrapped_in_) return read_wrapped(buffer);
  for (;;) {
    const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return kWouldBlock;
    io_error_ = std::strerror(errno);
    return kFailed;
  }
}

long WebSocketStream::read_wrapped(std::span<std::uint8_t> buffer) {
  GError* error = nullptr;
  const gssize n = g_pollable_input_stream_read_nonblocking(wrapped_in_, buffer.data(), buffer.size(), nullptr, &error);
  if (n >= 0) return n;
  const bool would_block = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  if (!would_block) io_error_ = error->message;
  g_clear_error(&error);
  return would_block ? kWouldBlock : kFailed;
}

inline long WebSocketStream::write_some(const iovec* parts, int count) {
  if (wrapped_out_) return write_wrapped(parts, count);
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(parts);
  message.msg_iovlen = static_cast<std::size_t>(count);
  for (;;) {
    const ssize_t n = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    io_error_ = std::strerror(errno);
    return kFailed;
  }
}

long WebSocketStream::write_wrapped(const iovec* parts, int count) {
  GOutputVector vectors[2];
  for (int i = 0; i < count; ++i) vectors[i] = {parts[i].iov_base, parts[i].iov_len};
  gsize written = 0;
  GError* error = nullptr;
  const GPollableReturn result = g_pollable_output_stream_writev_nonblocking(
      wrapped_out_, vectors, static_cast<gsize>(count), &written, nullptr, &error);
  if (result == G_POLLABLE_RETURN_FAILED) {
    io_error_ = error ? error->message : "write failed";
    g_clear_error(&error);
    return kFailed;
  }
  return result == G_POLLABLE_RETURN_OK ? static_cast<long>(written) : 0;
}

std::string WebSocketStream::peer() const { return role_ == Role::kServer ? "the client" : "the server"; }

void WebSocketStream::limit_kernel_send_buffer(std::size_t bytes) {
  if (bytes == 0 || fd_ < 0) return;
  const int value = static_cast<int>(std::min<std::size_t>(bytes, INT32_MAX / 2));
  setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &value, sizeof value);
}

bool WebSocketStream::start(Delegate* delegate) {
  if (state_ == State::kClosed) return false;
  if (unpollable_ || !dispatcher_.add(fd_, out_.empty() ? EPOLLIN : (EPOLLIN | EPOLLOUT), this)) {
    error_ = unpollable_ ? "the connection's streams cannot be read without blocking" : "cannot watch the socket";
    close_socket({});  // no delegate yet: no callback
    return false;
  }
  registered_ = true;
  want_write_ = !out_.empty();
  delegate_ = delegate;
  if (state_ == State::kOpen) begin_frames();
  return true;
}

void WebSocketStream::open(std::string early_bytes) {
  if (state_ != State::kHandshake) return;
  state_ = State::kOpen;
  early_bytes_ = std::move(early_bytes);
  if (registered_) begin_frames();  // else start() does
}

void WebSocketStream::begin_frames() {
  schedule_ping();
  // From the loop, not from here: the owner may still be setting the call up (or refusing it).
  // A wrapped stream may also hold decrypted bytes behind the handshake that epoll will not
  // signal again.
  if (!early_bytes_.empty() || wrapped_in_)
    early_bytes_timer_.arm_in_ms(dispatcher_, 0, [this] {
      auto hold = owner_.lock();
      read_early_bytes();
      if (wrapped_in_ && state_ != State::kClosed) read_ready();
    });
}

void WebSocketStream::read_early_bytes() {
  early_bytes_timer_.cancel();
  if (early_bytes_.empty()) return;
  std::string bytes = std::move(early_bytes_);
  early_bytes_ = std::string();
  consume({reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size()}, g_get_monotonic_time());
}

void WebSocketStream::on_io(std::uint32_t events) {
  auto hold = owner_.lock();  // a callback may drop the owner's reference
  if (state_ == State::kClosed) return;
  if (!early_bytes_.empty()) {  // they came first
    read_early_bytes();
    if (state_ == State::kClosed) return;
  }
  if (events & EPOLLOUT) {
    flush();
    if (state_ == State::kClosed) return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_ready();
}

void WebSocketStream::read_ready() {
  for (int round = 0; state_ != State::kClosed; ++round) {
    if (!wrapped_in_ && round >= kMaxPlainReadsPerWakeup) return;
    const long n = read_some(read_buffer_);
    if (n == kWouldBlock) return;
    if (n == kFailed) {
      close_socket("read failed: " + io_error_);  // reset or other error: the peer is gone
      return;
    }
    if (n == 0) {
      const bool close_frame_came = close_code_ != ws::close_code::kAbnormal;
      close_socket(close_frame_came ? std::string() : peer() + " closed the connection");
      return;
    }
    const auto data = read_buffer_.first(static_cast<std::size_t>(n));
    if (state_ == State::kHandshake) {
      if (delegate_) delegate_->on_ws_handshake_bytes(data);
      if (state_ != State::kHandshake) return;  // opened (what followed is read from the loop) or ended
    } else if (!consume(data, g_get_monotonic_time())) {
      return;
    }
    if (!wrapped_in_ && data.size() < read_buffer_.size()) return;  // drained for now
  }
}

bool WebSocketStream::consume(std::span<std::uint8_t> data, gint64 arrival_us) {
  if (reader_failed_) {  // after a protocol error, input is only drained
    drained_bytes_ += data.size();
    if (draining_ && drained_bytes_ > kMaxDrainBytes) {
      close_socket({});
      return false;
    }
    return true;
  }
  auto error = reader_.feed(data, [&](const ws::Message& m) { return handle_message(m, arrival_us); });
  if (error) {
    reader_failed_ = true;
    if (error_.empty()) error_ = error->reason;
    if (state_ == State::kOpen) {
      if (delegate_) delegate_->on_ws_protocol_error(error->code, error->reason);
    } else if (state_ == State::kClosing) {
      close_after_flush_ = true;
      if (out_.empty()) end_after_close_frame();
    }
  }
  return state_ != State::kClosed;
}

bool WebSocketStream::handle_message(const ws::Message& m, gint64 arrival_us) {
  const std::string_view payload(reinterpret_cast<const char*>(m.payload.data()), m.payload.size());
  switch (m.opcode) {
    case ws::Opcode::kText:
      if (state_ == State::kOpen && delegate_) delegate_->on_ws_text(payload, arrival_us);
      break;
    case ws::Opcode::kBinary:
      if (state_ == State::kOpen && delegate_) delegate_->on_ws_binary(m.payload, arrival_us);
      break;
    case ws::Opcode::kPing:
      if (state_ == State::kOpen) send_frame(ws::Opcode::kPong, payload);
      break;
    case ws::Opcode::kPong:
      if (delegate_) delegate_->on_ws_pong();
      break;
    case ws::Opcode::kClose: {
      // The reader let only a valid close payload through.
      const auto received = ws::parse_close_payload(payload);
      close_code_ = received ? received->code : ws::close_code::kProtocolError;
      close_reason_ = received ? std::string(received->reason) : std::string();
      if (state_ == State::kClosing) {  // the answer to our close: the handshake is complete
        close_socket({});
        return false;
      }
      // The peer closes: echo its code (RFC 6455 §5.5.1), then close once that is written.
      send_frame(ws::Opcode::kClose, ws::close_echo_payload(payload));
      state_ = State::kClosing;
      ping_timer_.cancel();
      close_after_flush_ = true;
      arm_deadline(close_timeout_ms_, "the close frame could not be written");
      if (out_.empty() || broken_) close_socket({});
      return false;
    }
    case ws::Opcode::kContinuation:
      break;
  }
  return state_ != State::kClosed;
}

void WebSocketStream::send_text(std::string_view text) {
  if (state_ == State::kOpen) send_frame(ws::Opcode::kText, text);
}

void WebSocketStream::send_binary(std::span<const std::uint8_t> bytes) {
  if (state_ == State::kOpen)
    send_frame(ws::Opcode::kBinary, {reinterpret_cast<const char*>(bytes.data()), bytes.size()});
}

void WebSocketStream::send_ping() {
  if (state_ == State::kOpen) send_frame(ws::Opcode::kPing, {});
}

void WebSocketStream::send_raw(std::string_view bytes) {
  if (state_ != State::kHandshake || broken_) return;
  if (!out_.empty()) {
    out_.append(bytes);
    return;
  }
  write_now(bytes, {});
}

void WebSocketStream::send_frame(ws::Opcode opcode, std::string_view payload) {
  if (state_ == State::kClosed || broken_) return;
  ws::MaskKey mask;
  const ws::MaskKey* masking = nullptr;
  if (role_ == Role::kClient) {
    // xorshift32: mask keys need not be secret from us, only unpredictable to scripts in a
    // browser (RFC 6455 §10.3); this is a server-to-server client.
    mask_state_ ^= mask_state_ << 13;
    mask_state_ ^= mask_state_ >> 17;
    mask_state_ ^= mask_state_ << 5;
    std::memcpy(mask.data(), &mask_state_, mask.size());
    masking = &mask;
  }
  if (!out_.empty() || corked_) {  // keep order: behind what is already queued (or corked)
    ws::append_frame(out_.storage(), opcode, payload, masking);
    return;
  }
  if (!masking) {
    // Server role: header and payload go out in one write, from where the payload is.
    std::uint8_t header[ws::kMaxHeaderBytes];
    const std::size_t header_len = ws::encode_header(header, opcode, payload.size());
    write_now({reinterpret_cast<const char*>(header), header_len}, payload);
    return;
  }
  // Client role: the payload is masked in a copy (the caller's bytes are const).
  frame_.clear();
  ws::append_frame(frame_, opcode, payload, masking);
  write_now(frame_, {});
  if (frame_.capacity() > kKeptFrameCapacity) std::string().swap(frame_);
}

void WebSocketStream::write_now(std::string_view first, std::string_view second) {
  const iovec parts[2] = {{const_cast<char*>(first.data()), first.size()},
                          {const_cast<char*>(second.data()), second.size()}};
  const long n = write_some(parts, second.empty() ? 1 : 2);
  if (n == kFailed) {
    write_failed();
    return;
  }
  const std::size_t written = static_cast<std::size_t>(n);
  if (written == first.size() + second.size()) return;
  // The kernel took part of it: queue the rest and wait for EPOLLOUT.
  if (written < first.size()) {
    out_.append(first.substr(written));
    out_.append(second);
  } else {
    out_.append(second.substr(written - first.size()));
  }
  update_interest();
}

void WebSocketStream::write_failed() {
  broken_ = true;
  report_timer_.arm_in_ms(dispatcher_, 0, [this] {
    auto hold = owner_.lock();
    close_socket("write failed: " + io_error_);
  });
}

void WebSocketStream::flush() {
  while (!out_.empty()) {
    const iovec part = {const_cast<char*>(out_.data()), out_.size()};
    const long n = write_some(&part, 1);
    if (n == kFailed) {
      broken_ = true;
      close_socket("write failed: " + io_error_);
      return;
    }
    if (n == 0) break;
    out_.consume(static_cast<std::size_t>(n));
  }
  if (out_.empty() && close_after_flush_) {
    end_after_close_frame();
    return;
  }
  update_interest();
}

void WebSocketStream::update_interest() {
  const bool want = !out_.empty();
  if (want == want_write_ || !registered_) return;
  want_write_ = want;
  dispatcher_.modify(fd_, want ? (EPOLLIN | EPOLLOUT) : EPOLLIN, this);
}

void WebSocketStream::uncork() {
  if (!corked_) return;
  corked_ = false;
  // With EPOLLOUT armed the kernel is full: the queue leaves when it says so.
  if (out_.empty() || want_write_ || broken_ || state_ == State::kClosed) return;
  const iovec part = {const_cast<char*>(out_.data()), out_.size()};
  const long n = write_some(&part, 1);
  if (n == kFailed) {
    write_failed();  // reported from the loop: uncork() runs inside close() and abort() too
    return;
  }
  out_.consume(static_cast<std::size_t>(n));
  update_interest();
}

void WebSocketStream::close(std::uint16_t code, std::string_view reason) {
  if (state_ != State::kOpen) return;
  uncork();
  if (state_ != State::kOpen) return;  // the flush found the socket dead
  // The close frame is a frame like any other: it leaves after everything queued before it.
  send_frame(ws::Opcode::kClose, ws::close_payload(code, reason));
  state_ = State::kClosing;
  ping_timer_.cancel();
  arm_deadline(close_timeout_ms_,
               "no close frame from " + peer() + " within " + std::to_string(close_timeout_ms_) + " ms");
  if (broken_) return;  // the failed write is reported from the loop
  // After a protocol error the peer's answer cannot be parsed: end once the frame is out.
  if (reader_failed_) {
    close_after_flush_ = true;
    if (out_.empty()) end_after_close_frame();
  }
}

void WebSocketStream::abort() {
  uncork();  // what was sent before abort() would have been written already
  delegate_ = nullptr;
  close_socket({});
}

void WebSocketStream::arm_deadline(unsigned ms, std::string why) {
  deadline_timer_.arm_in_ms(dispatcher_, ms, [this, why = std::move(why)] {
    auto hold = owner_.lock();
    close_socket(why);
  });
}

void WebSocketStream::schedule_ping() {
  if (ping_interval_ms_ == 0) return;
  ping_timer_.arm_in_ms(dispatcher_, ping_interval_ms_, [this] {
    send_ping();
    if (state_ == State::kOpen) schedule_ping();
  });
}

void WebSocketStream::end_after_close_frame() {
  if (!reader_failed_ || broken_ || role_ == Role::kClient) {
    // A client does not linger: its owner hears of the error at once (and may reconnect).
    close_socket({});
    return;
  }
  if (draining_) return;
  // The peer broke the protocol and may still be sending: FIN after our close frame, then
  // read and drop until it closes too (or the drain's bounds pass), then close.
  draining_ = true;
  drained_bytes_ = 0;  // the bound counts from here: before the close frame, input was only dropped
  close_after_flush_ = false;
  ::shutdown(fd_, SHUT_WR);
  arm_deadline(kDrainTimeoutMs, {});
  update_interest();
}

void WebSocketStream::close_socket(std::string why) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  if (error_.empty()) error_ = std::move(why);
  early_bytes_timer_.cancel();
  deadline_timer_.cancel();
  ping_timer_.cancel();
  report_timer_.cancel();
  release_socket();
  if (delegate_) {
    Delegate* d = delegate_;
    delegate_ = nullptr;
    d->on_ws_closed();
  }
}

void WebSocketStream::release_socket() {
  if (registered_) {
    dispatcher_.remove(fd_, this);
    registered_ = false;
  }
  if (socket_) {
    // Closing the socket first makes the stream's own close (TLS close_notify) fail fast
    // instead of waiting on a peer that may be gone.
    g_socket_close(socket_, nullptr);
    g_clear_object(&socket_);
  }
  wrapped_in_ = nullptr;
  wrapped_out_ = nullptr;
  g_clear_object(&stream_);
  fd_ = -1;
  out_.clear();
}

}  // namespace mediaflow::net
