#include <mediaflow/net/websocket_client.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

namespace mediaflow::net {
namespace {

namespace ws = protocol::websocket;

// RFC 6455 §7.1.5: the close code when no close frame was received.
constexpr std::uint16_t kNoCloseFrame = 1006;
// Refuse an upgrade answer whose headers do not end within this many bytes.
constexpr std::size_t kMaxAnswerBytes = 16 * 1024;
// Plain sockets: reads per wake-up before yielding to the other connections of the loop
// (level-triggered: the rest is read on the next iteration). TLS is always drained.
constexpr int kMaxPlainReadsPerWakeup = 4;

}  // namespace

// One GIO connect in flight. Holds the client weakly: dropping the client cancels it.
struct WebSocketClient::ConnectOp {
  std::weak_ptr<WebSocketClient> client;
  GSocketClient* socket_client = nullptr;
  ~ConnectOp() { g_clear_object(&socket_client); }
};

const std::string* WebSocketConnectFailure::header(std::string_view name) const {
  for (const auto& [n, v] : response_headers)
    if (n.size() == name.size() && g_ascii_strncasecmp(n.data(), name.data(), name.size()) == 0) return &v;
  return nullptr;
}

std::shared_ptr<WebSocketClient> WebSocketClient::connect(WebSocketClientOptions options,
                                                          WebSocketClientCallbacks callbacks, std::string* error) {
  UpgradeTarget target;
  std::string why;
  if (!parse_upgrade_target(options.url, &target, &why) || !check_request_headers(options.headers, &why)) {
    if (error) *error = why;
    return nullptr;
  }
  auto dispatcher = EpollDispatcher::for_thread_default();
  if (!dispatcher) {
    if (error) *error = "cannot create an epoll set";
    return nullptr;
  }
  std::shared_ptr<WebSocketClient> client(
      new WebSocketClient(std::move(options), std::move(callbacks), std::move(dispatcher)));
  client->start_connect(target);
  return client;
}

WebSocketClient::WebSocketClient(WebSocketClientOptions options, WebSocketClientCallbacks callbacks,
                                 std::shared_ptr<EpollDispatcher> dispatcher)
    : options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      dispatcher_(std::move(dispatcher)),
      reader_(ws::MessageReader::Role::kClient,
              options_.max_message_bytes ? options_.max_message_bytes : std::numeric_limits<std::size_t>::max()),
      mask_state_(g_random_int() | 1u) {
  close_code_ = kNoCloseFrame;
  if (options_.tls_database) g_object_ref(options_.tls_database);
}

WebSocketClient::~WebSocketClient() {
  callbacks_live_ = false;
  if (cancellable_) {
    g_cancellable_cancel(cancellable_);
    g_clear_object(&cancellable_);
  }
  release_socket();
  if (options_.tls_database) g_object_unref(options_.tls_database);
}

void WebSocketClient::start_connect(const UpgradeTarget& target) {
  cancellable_ = g_cancellable_new();
  expected_accept_.clear();
  GSocketClient* socket_client = g_socket_client_new();
  if (target.tls) {
    g_socket_client_set_tls(socket_client, TRUE);
    if (options_.tls_database)
      g_signal_connect_data(socket_client, "event", G_CALLBACK(&WebSocketClient::on_socket_event),
                            g_object_ref(options_.tls_database),
                            [](gpointer db, GClosure*) { g_object_unref(db); }, GConnectFlags(0));
  }
  // Proxies (if the system has any) are looked up for the http(s) form of the URL, as libsoup
  // does for ws(s); the host name is what TLS validates.
  const std::string proxy_uri = std::string(target.tls ? "https://" : "http://") + target.host_header + "/";
  GSocketConnectable* address = g_network_address_parse_uri(proxy_uri.c_str(), target.port, nullptr);
  if (!address) address = g_network_address_new(target.host.c_str(), target.port);
  auto* op = new ConnectOp{weak_from_this(), socket_client};
  g_socket_client_connect_async(socket_client, address, cancellable_, &WebSocketClient::on_connected, op);
  g_object_unref(address);
  request_ = build_upgrade_request(target, options_.headers, &expected_accept_);
  arm_connect_deadline("connecting");
}

// Each phase of the opening gets the whole timeout, as libsoup's I/O timeout did: the TCP
// (and TLS) connect, then the upgrade answer (restarted by every byte of it).
void WebSocketClient::arm_connect_deadline(const char* phase) {
  if (options_.connect_timeout_ms == 0) return;
  deadline_timer_.arm_in_ms(*dispatcher_, options_.connect_timeout_ms, [this, phase] {
    fail_connect("timed out " + std::string(phase) + " (" + std::to_string(options_.connect_timeout_ms) + " ms)", 0,
                 true);
  });
}

void WebSocketClient::on_socket_event(GSocketClient*, GSocketClientEvent event, GSocketConnectable*,
                                      GIOStream* stream, gpointer database) {
  // The TLS connection exists but has not shaken hands yet: the moment to set its trust.
  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING && G_IS_TLS_CONNECTION(stream))
    g_tls_connection_set_database(G_TLS_CONNECTION(stream), G_TLS_DATABASE(database));
}

void WebSocketClient::on_connected(GObject* source, GAsyncResult* result, gpointer data) {
  std::unique_ptr<ConnectOp> op(static_cast<ConnectOp*>(data));
  GError* error = nullptr;
  GSocketConnection* connection = g_socket_client_connect_finish(G_SOCKET_CLIENT(source), result, &error);
  auto self = op->client.lock();
  if (!self || self->state_ != State::kConnecting || self->abandoned_ || self->stream_) {
    if (connection) g_object_unref(connection);
    g_clear_error(&error);
    return;
  }
  if (!connection) {
    std::string message = std::string("cannot connect: ") + (error ? error->message : "unknown error");
    g_clear_error(&error);
    self->fail_connect(std::move(message));
    return;
  }
  self->begin_upgrade(connection);
}

void WebSocketClient::begin_upgrade(GSocketConnection* connection) {
  stream_ = G_IO_STREAM(connection);  // takes the reference
  socket_ = G_SOCKET(g_object_ref(g_socket_connection_get_socket(connection)));
  fd_ = g_socket_get_fd(socket_);
  GInputStream* in = g_io_stream_get_input_stream(stream_);
  GOutputStream* out = g_io_stream_get_output_stream(stream_);
  if (G_IS_TCP_WRAPPER_CONNECTION(connection)) {
    // TLS (or a proxy's stream): every byte goes through the stream, not the socket.
    if (!G_IS_POLLABLE_INPUT_STREAM(in) || !G_IS_POLLABLE_OUTPUT_STREAM(out)) {
      fail_connect("the connection's streams cannot be read without blocking");
      return;
    }
    tls_in_ = G_POLLABLE_INPUT_STREAM(in);
    tls_out_ = G_POLLABLE_OUTPUT_STREAM(out);
  }
  // Vendor frames are small and latency-bound: never hold one back to coalesce.
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!dispatcher_->add(fd_, EPOLLIN, this)) {
    fail_connect("cannot watch the socket");
    return;
  }
  registered_ = true;
  arm_connect_deadline("waiting for the upgrade answer");
  std::string request;
  request.swap(request_);
  queue_and_write(request);
  if (broken_) fail_connect("the connection failed while sending the upgrade request");
}

void WebSocketClient::on_io(std::uint32_t events) {
  auto keep = shared_from_this();  // a callback may drop the owner's reference
  if (state_ == State::kClosed) return;
  if (events & EPOLLOUT) {
    flush();
    if (state_ == State::kClosed || !registered_) return;
  }
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
  if (state_ == State::kConnecting)
    read_upgrade_answer();
  else
    read_frames();
}

long WebSocketClient::read_some(std::uint8_t* buffer, std::size_t size) {
  if (tls_in_) {
    GError* error = nullptr;
    const gssize n = g_pollable_input_stream_read_nonblocking(tls_in_, buffer, size, nullptr, &error);
    if (n >= 0) return n;
    const bool would_block = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
    if (!would_block) error_ = error->message;
    g_clear_error(&error);
    return would_block ? kWouldBlock : kFailed;
  }
  for (;;) {
    const ssize_t n = ::read(fd_, buffer, size);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return kWouldBlock;
    error_ = std::strerror(errno);
    return kFailed;
  }
}

long WebSocketClient::write_some(const char* data, std::size_t size) {
  if (tls_out_) {
    GError* error = nullptr;
    const gssize n = g_pollable_output_stream_write_nonblocking(tls_out_, data, size, nullptr, &error);
    if (n >= 0) return n;
    const bool would_block = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
    if (!would_block && error_.empty()) error_ = error->message;
    g_clear_error(&error);
    return would_block ? 0 : kFailed;
  }
  for (;;) {
    const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    if (error_.empty()) error_ = std::strerror(errno);
    return kFailed;
  }
}

void WebSocketClient::read_upgrade_answer() {
  std::uint8_t chunk[4096];
  for (;;) {
    const long n = read_some(chunk, sizeof chunk);
    if (n == kWouldBlock) return;
    if (n == kFailed) {
      fail_connect("the connection failed during the upgrade: " + error_);
      return;
    }
    if (n == 0) {
      fail_connect("the server closed the connection during the upgrade");
      return;
    }
    arm_connect_deadline("reading the upgrade answer");
    const std::size_t searched_from = answer_.size() >= 3 ? answer_.size() - 3 : 0;
    answer_.append(reinterpret_cast<const char*>(chunk), static_cast<std::size_t>(n));
    const std::size_t end = answer_.find("\r\n\r\n", searched_from);
    if (end != std::string::npos) {
      check_upgrade_answer(end + 4);
      return;
    }
    if (answer_.size() > kMaxAnswerBytes) {
      fail_connect("the upgrade answer's headers are too large");
      return;
    }
  }
}

void WebSocketClient::check_upgrade_answer(std::size_t header_end) {
  UpgradeAnswer answer = parse_upgrade_answer(std::string_view(answer_).substr(0, header_end), expected_accept_);
  if (!answer.ok) {
    fail_connect(std::move(answer.problem), answer.status, false, std::move(answer.headers));
    return;
  }
  deadline_timer_.cancel();
  g_clear_object(&cancellable_);
  std::string rest = answer_.substr(header_end);  // frames the server sent right behind the answer
  answer_.clear();
  answer_.shrink_to_fit();
  state_ = State::kOpen;
  schedule_ping();
  if (callbacks_live_ && callbacks_.opened) {
    ++in_callback_;
    callbacks_.opened();
    --in_callback_;
    if (!callbacks_live_) clear_callbacks();
  }
  if (state_ == State::kClosed) return;
  if (!rest.empty()) consume(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(rest.data()), rest.size()));
  // The server may have sent more than fitted; level-triggered epoll reports it, but TLS
  // may hold it decrypted already.
  if (tls_in_ && state_ != State::kClosed) read_frames();
}

void WebSocketClient::read_frames() {
  const std::span<std::uint8_t> buffer = dispatcher_->read_buffer();
  for (int round = 0; state_ != State::kClosed; ++round) {
    if (!tls_in_ && round >= kMaxPlainReadsPerWakeup) return;
    const long n = read_some(buffer.data(), buffer.size());
    if (n == kWouldBlock) return;
    if (n == kFailed || n == 0) {
      finish(n == 0 ? (close_received_ ? std::string() : std::string("the server closed the connection"))
                    : "read failed: " + error_);
      return;
    }
    consume(buffer.first(static_cast<std::size_t>(n)));
    if (!tls_in_ && static_cast<std::size_t>(n) < buffer.size()) return;  // drained for now
  }
}

void WebSocketClient::consume(std::span<std::uint8_t> data) {
  if (reader_failed_) return;  // after a protocol error, input is only drained
  auto error = reader_.feed(data, [&](const ws::Message& m) { return handle_message(m); });
  if (!error) return;
  reader_failed_ = true;
  const std::string why = error->reason;
  if (state_ == State::kOpen) {
    // Our close frame carries the reason; nothing the server sends can be read any more, so
    // the connection ends once that frame is out.
    close(error->code, why);
  }
  if (state_ == State::kClosing) {
    error_ = why;
    close_after_flush_ = true;
    if (buffered_bytes() == 0) finish(why);
  }
}

bool WebSocketClient::handle_message(const ws::Message& m) {
  const std::string_view payload(reinterpret_cast<const char*>(m.payload.data()), m.payload.size());
  switch (m.opcode) {
    case ws::Opcode::kText:
    case ws::Opcode::kBinary:
      if (state_ == State::kOpen)
        deliver(m.opcode == ws::Opcode::kText ? WebSocketMessageType::kText : WebSocketMessageType::kBinary,
                payload);
      break;
    case ws::Opcode::kPing:
      if (state_ == State::kOpen) send_frame(ws::Opcode::kPong, payload);
      break;
    case ws::Opcode::kPong:
    case ws::Opcode::kContinuation:
      break;
    case ws::Opcode::kClose: {
      auto close_payload = ws::parse_close_payload(payload);
      close_received_ = true;
      close_code_ = close_payload ? close_payload->code : ws::close_code::kProtocolError;
      close_reason_ = close_payload ? std::string(close_payload->reason) : std::string();
      if (state_ == State::kClosing) {  // the answer to our close: the handshake is complete
        finish({});
        return false;
      }
      // The server closes: echo its code (RFC 6455 §5.5.1), then close once that is written.
      send_frame(ws::Opcode::kClose, ws::close_echo_payload(payload));
      state_ = State::kClosing;
      close_after_flush_ = true;
      if (buffered_bytes() == 0 || broken_) finish({});
      return false;
    }
  }
  return state_ != State::kClosed;
}

void WebSocketClient::deliver(WebSocketMessageType type, std::string_view payload) {
  if (!callbacks_live_ || !callbacks_.message) return;
  // Called in place (no copy of the function per message); clear_callbacks() from inside
  // only marks them, they are dropped once the call has returned.
  ++in_callback_;
  callbacks_.message(type, payload);
  --in_callback_;
  if (!callbacks_live_) clear_callbacks();
}

void WebSocketClient::clear_callbacks() {
  callbacks_live_ = false;
  if (in_callback_ == 0) callbacks_ = WebSocketClientCallbacks{};
}

void WebSocketClient::send_text(std::string_view text) {
  if (state_ == State::kOpen) send_frame(ws::Opcode::kText, text);
}

void WebSocketClient::send_binary(const void* data, std::size_t size) {
  if (state_ == State::kOpen) send_frame(ws::Opcode::kBinary, std::string_view(static_cast<const char*>(data), size));
}

void WebSocketClient::send_ping() {
  if (state_ == State::kOpen) send_frame(ws::Opcode::kPing, {});
}

void WebSocketClient::send_frame(ws::Opcode opcode, std::string_view payload) {
  if (state_ == State::kClosed || broken_) return;
  // xorshift32: mask keys need not be secret from us, only unpredictable to scripts in a
  // browser (RFC 6455 §10.3); this is a server-to-server client.
  mask_state_ ^= mask_state_ << 13;
  mask_state_ ^= mask_state_ >> 17;
  mask_state_ ^= mask_state_ << 5;
  ws::MaskKey mask;
  std::memcpy(mask.data(), &mask_state_, mask.size());
  if (buffered_bytes() > 0) {  // keep order: behind what is already queued
    ws::append_frame(out_.storage(), opcode, payload, &mask);
    return;
  }
  frame_.clear();
  ws::append_frame(frame_, opcode, payload, &mask);
  queue_and_write(frame_);
  if (frame_.capacity() > 64 * 1024) std::string().swap(frame_);  // do not keep a burst's buffer
}

void WebSocketClient::queue_and_write(std::string_view bytes) {
  std::size_t written = 0;
  if (buffered_bytes() == 0) {
    const long n = write_some(bytes.data(), bytes.size());
    if (n == kFailed) {
      broken_ = true;
      // Reported from the loop, never from inside a send.
      fail_timer_.arm_in_ms(*dispatcher_, 0, [this] {
        auto keep = shared_from_this();
        if (state_ == State::kConnecting)
          fail_connect("the connection failed: " + error_);
        else
          finish("write failed: " + error_);
      });
      return;
    }
    written = static_cast<std::size_t>(n);
    if (written == bytes.size()) return;
  }
  out_.append(bytes.substr(written));
  update_interest();
}

void WebSocketClient::flush() {
  while (buffered_bytes() > 0) {
    const long n = write_some(out_.data(), out_.size());
    if (n == kFailed) {
      broken_ = true;
      if (state_ == State::kConnecting)
        fail_connect("the connection failed: " + error_);
      else
        finish("write failed: " + error_);
      return;
    }
    if (n == 0) break;
    out_.consume(static_cast<std::size_t>(n));
  }
  if (out_.empty()) {
    if (close_after_flush_ && state_ != State::kConnecting) {
      finish(error_);
      return;
    }
  }
  update_interest();
}

void WebSocketClient::update_interest() {
  const bool want = buffered_bytes() > 0;
  if (want == want_write_ || !registered_) return;
  want_write_ = want;
  dispatcher_->modify(fd_, want ? (EPOLLIN | EPOLLOUT) : EPOLLIN, this);
}

void WebSocketClient::close(std::uint16_t code, std::string_view reason) {
  if (state_ == State::kConnecting) {
    if (abandoned_) return;
    abandoned_ = true;
    deadline_timer_.cancel();
    // `failed` follows from the loop, like every callback.
    fail_timer_.arm_in_ms(*dispatcher_, 0, [this] { fail_connect("closed before the connection was open"); });
    if (cancellable_) g_cancellable_cancel(cancellable_);
    release_socket();
    return;
  }
  if (state_ != State::kOpen) return;
  send_frame(ws::Opcode::kClose, ws::close_payload(code, reason));
  state_ = State::kClosing;
  ping_timer_.cancel();
  lingering_ = shared_from_this();  // the owner may drop us now; we end by ourselves
  deadline_timer_.arm_in_ms(*dispatcher_, options_.close_timeout_ms, [this] {
    finish("no close frame from the server within " + std::to_string(options_.close_timeout_ms) + " ms");
  });
}

void WebSocketClient::schedule_ping() {
  if (options_.ping_interval_ms == 0) return;
  ping_timer_.arm_in_ms(*dispatcher_, options_.ping_interval_ms, [this] {
    send_ping();
    if (state_ == State::kOpen) schedule_ping();
  });
}

void WebSocketClient::fail_connect(std::string message, unsigned http_status, bool timed_out, HttpHeaders headers) {
  if (state_ != State::kConnecting) return;
  auto keep = shared_from_this();
  state_ = State::kClosed;
  deadline_timer_.cancel();
  fail_timer_.cancel();
  if (cancellable_) g_cancellable_cancel(cancellable_);
  release_socket();
  error_ = message;
  WebSocketConnectFailure failure{std::move(message), http_status, timed_out, std::move(headers)};
  auto failed = callbacks_live_ ? std::move(callbacks_.failed) : nullptr;
  clear_callbacks();
  if (failed) failed(failure);
}

void WebSocketClient::finish(std::string error) {
  if (state_ == State::kClosed || state_ == State::kConnecting) return;
  auto keep = shared_from_this();
  state_ = State::kClosed;
  if (error_.empty()) error_ = std::move(error);
  deadline_timer_.cancel();
  ping_timer_.cancel();
  fail_timer_.cancel();
  release_socket();
  auto closed = callbacks_live_ ? std::move(callbacks_.closed) : nullptr;
  clear_callbacks();
  lingering_.reset();  // `keep` holds us until we return
  if (closed) closed();
}

void WebSocketClient::release_socket() {
  if (registered_) {
    dispatcher_->remove(fd_, this);
    registered_ = false;
  }
  if (socket_) {
    // Closing the socket first makes the stream's own close (TLS close_notify) fail fast
    // instead of waiting on a peer that may be gone.
    g_socket_close(socket_, nullptr);
    g_clear_object(&socket_);
  }
  tls_in_ = nullptr;
  tls_out_ = nullptr;
  g_clear_object(&stream_);
  fd_ = -1;
  out_.clear();
}

}  // namespace mediaflow::net
