#include "server/websocket_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace mediaflow::server {
namespace {

namespace ws = protocol::websocket;

// How long a close handshake may take before the socket is closed regardless.
constexpr gint64 kCloseHandshakeTimeoutUs = 2 * G_USEC_PER_SEC;
// After a protocol error our close frame is followed by a shutdown of the write side and a short
// drain of what the peer still sends, so its kernel does not answer our close() with a reset
// that may destroy the close frame before the peer has read it. Bounded in time (the worker
// ticks once a second, so up to one tick more) and in bytes.
constexpr gint64 kDrainTimeoutUs = G_USEC_PER_SEC;
constexpr std::size_t kMaxDrainBytes = 256 * 1024;
// Reads per wake-up before yielding to the other calls on the loop (level-triggered: the
// rest is read on the next iteration).
constexpr int kMaxReadsPerWakeup = 4;

}  // namespace

WebSocketConnection::WebSocketConnection(EpollDispatcher& epoll, std::span<std::uint8_t> read_buffer,
                                         GSocket* socket, std::string early_bytes, std::size_t max_message_bytes)
    : epoll_(epoll),
      read_buffer_(read_buffer),
      socket_(G_SOCKET(g_object_ref(socket))),
      fd_(g_socket_get_fd(socket)),
      reader_(ws::MessageReader::Role::kServer, max_message_bytes),
      early_bytes_(std::move(early_bytes)) {
  // Media frames are small and latency-bound: never hold one back to coalesce.
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

WebSocketConnection::~WebSocketConnection() {
  delegate_ = nullptr;
  close_socket();
  g_object_unref(socket_);
}

void WebSocketConnection::limit_kernel_send_buffer(std::size_t bytes) {
  if (bytes == 0) return;
  const int value = static_cast<int>(std::min<std::size_t>(bytes, INT32_MAX / 2));
  setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &value, sizeof value);
}

bool WebSocketConnection::start(Delegate* delegate) {
  delegate_ = delegate;
  if (!epoll_.add(fd_, EPOLLIN, this)) {
    delegate_ = nullptr;
    state_ = State::kClosed;
    g_socket_close(socket_, nullptr);
    return false;
  }
  // From the loop, not from here: the owner may still be setting the call up (or refusing it).
  if (!early_bytes_.empty()) early_bytes_timer_.arm_in_ms(epoll_, 0, [this] { read_early_bytes(); });
  return true;
}

void WebSocketConnection::read_early_bytes() {
  early_bytes_timer_.cancel();
  const gint64 arrival = g_get_monotonic_time();
  std::string_view rest = early_bytes_;
  while (!rest.empty() && state_ != State::kClosed) {
    const std::size_t n = std::min(rest.size(), read_buffer_.size());
    std::copy_n(rest.data(), n, reinterpret_cast<char*>(read_buffer_.data()));
    rest.remove_prefix(n);
    consume(n, arrival);
  }
  early_bytes_.clear();
  early_bytes_.shrink_to_fit();
}

void WebSocketConnection::on_io(std::uint32_t events) {
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

void WebSocketConnection::read_ready() {
  for (int round = 0; round < kMaxReadsPerWakeup && state_ != State::kClosed; ++round) {
    const ssize_t n = ::read(fd_, read_buffer_.data(), read_buffer_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      close_socket();  // reset or other error: the peer is gone
      return;
    }
    if (n == 0) {
      close_socket();
      return;
    }
    if (!consume(static_cast<std::size_t>(n), g_get_monotonic_time())) return;
    if (static_cast<std::size_t>(n) < read_buffer_.size()) return;  // drained for now
  }
}

bool WebSocketConnection::consume(std::size_t n, gint64 arrival) {
  if (reader_failed_) {  // after a protocol error, input is only drained
    drained_bytes_ += n;
    if (draining_ && drained_bytes_ > kMaxDrainBytes) {
      close_socket();
      return false;
    }
    return true;
  }
  auto error = reader_.feed(read_buffer_.first(n), [&](const ws::Message& m) { return handle_message(m, arrival); });
  if (error) {
    reader_failed_ = true;
    if (state_ == State::kOpen && delegate_) {
      delegate_->on_ws_protocol_error(error->code, error->reason);
    } else if (state_ == State::kClosing) {
      close_after_flush_ = true;
      if (backlog_bytes() == 0) end_after_close_frame();
    }
  }
  return true;
}

bool WebSocketConnection::handle_message(const ws::Message& m, gint64 arrival_us) {
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
      if (state_ == State::kClosing) {  // the answer to our close: the handshake is complete
        close_socket();
        return false;
      }
      // The peer closes: echo its code (RFC 6455 §5.5.1), then close once that is written.
      send_frame(ws::Opcode::kClose, ws::close_echo_payload(payload));
      state_ = State::kClosing;
      close_after_flush_ = true;
      close_deadline_us_ = g_get_monotonic_time() + kCloseHandshakeTimeoutUs;
      if (backlog_bytes() == 0 || broken_) close_socket();
      return false;
    }
    case ws::Opcode::kContinuation:
      break;
  }
  return state_ != State::kClosed;
}

void WebSocketConnection::send_text(std::string_view text) {
  if (state_ != State::kOpen) return;
  send_frame(ws::Opcode::kText, text);
}

void WebSocketConnection::send_binary(std::span<const std::uint8_t> bytes) {
  if (state_ != State::kOpen) return;
  send_frame(ws::Opcode::kBinary, {reinterpret_cast<const char*>(bytes.data()), bytes.size()});
}

void WebSocketConnection::send_ping() {
  if (state_ != State::kOpen) return;
  send_frame(ws::Opcode::kPing, {});
}

void WebSocketConnection::send_frame(ws::Opcode opcode, std::string_view payload) {
  if (state_ == State::kClosed || broken_) return;
  if (backlog_bytes() > 0) {  // keep order: behind what is already queued
    ws::append_frame(out_.storage(), opcode, payload);
    return;
  }
  // Usual case: nothing queued, header and payload go out in one writev() without a copy.
  std::uint8_t header[ws::kMaxHeaderBytes];
  const std::size_t header_len = ws::encode_header(header, opcode, payload.size());
  iovec iov[2] = {{header, header_len}, {const_cast<char*>(payload.data()), payload.size()}};
  ssize_t n;
  do {
    n = ::writev(fd_, iov, 2);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      broken_ = true;  // epoll reports the hang-up; the delegate hears of it from there
      return;
    }
    n = 0;
  }
  const std::size_t total = header_len + payload.size();
  if (static_cast<std::size_t>(n) == total) return;
  // The kernel took part of it: queue the rest and wait for EPOLLOUT.
  const std::size_t written = static_cast<std::size_t>(n);
  if (written < header_len) {
    out_.append({reinterpret_cast<const char*>(header) + written, header_len - written});
    out_.append(payload);
  } else {
    out_.append(payload.substr(written - header_len));
  }
  update_interest();
}

void WebSocketConnection::flush() {
  while (backlog_bytes() > 0) {
    const ssize_t n = ::write(fd_, out_.data(), out_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      close_socket();
      return;
    }
    out_.consume(static_cast<std::size_t>(n));
  }
  if (out_.empty()) {
    if (close_after_flush_) {
      end_after_close_frame();
      return;
    }
  }
  update_interest();
}

void WebSocketConnection::end_after_close_frame() {
  if (!reader_failed_ || broken_) {
    close_socket();
    return;
  }
  if (draining_) return;
  // The peer broke the protocol and may still be sending: FIN after our close frame, then
  // read and drop until it closes too (or the drain's bounds pass), then close.
  draining_ = true;
  drained_bytes_ = 0;  // the bound counts from here: before the close frame, input was only dropped
  close_after_flush_ = false;
  ::shutdown(fd_, SHUT_WR);
  close_deadline_us_ = g_get_monotonic_time() + kDrainTimeoutUs;
  update_interest();
}

void WebSocketConnection::update_interest() {
  const bool want = backlog_bytes() > 0;
  if (want == want_write_ || state_ == State::kClosed) return;
  want_write_ = want;
  epoll_.modify(fd_, want ? (EPOLLIN | EPOLLOUT) : EPOLLIN, this);
}

void WebSocketConnection::close(std::uint16_t code, std::string_view reason) {
  if (state_ != State::kOpen) return;
  if (broken_) {
    close_socket();
    return;
  }
  // The close frame is a frame like any other: it leaves after everything queued before it.
  send_frame(ws::Opcode::kClose, ws::close_payload(code, reason));
  state_ = State::kClosing;
  close_deadline_us_ = g_get_monotonic_time() + kCloseHandshakeTimeoutUs;
  // After a protocol error the peer's answer cannot be parsed: end once the frame is out.
  if (reader_failed_ || broken_) {
    close_after_flush_ = true;
    if (backlog_bytes() == 0) end_after_close_frame();
  }
}

void WebSocketConnection::tick(gint64 now_us) {
  if (state_ == State::kClosing && now_us >= close_deadline_us_) close_socket();
}

void WebSocketConnection::close_socket() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  epoll_.remove(fd_, this);
  g_socket_close(socket_, nullptr);
  out_.clear();
  if (delegate_) {
    Delegate* d = delegate_;
    delegate_ = nullptr;
    d->on_ws_closed();
  }
}

}  // namespace mediaflow::server
