#include <mediaflow/net/websocket_client.hpp>

#include <string>

namespace mediaflow::net {
namespace {

namespace ws = protocol::websocket;

// Refuse an upgrade answer whose headers do not end within this many bytes.
constexpr std::size_t kMaxAnswerBytes = 16 * 1024;

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
  if (!options.subprotocol.empty()) options.headers.emplace_back("Sec-WebSocket-Protocol", options.subprotocol);
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
    : options_(std::move(options)), callbacks_(std::move(callbacks)), dispatcher_(std::move(dispatcher)) {
  if (options_.tls_database) g_object_ref(options_.tls_database);
}

WebSocketClient::~WebSocketClient() {
  callbacks_live_ = false;
  if (cancellable_) {
    g_cancellable_cancel(cancellable_);
    g_clear_object(&cancellable_);
  }
  stream_.reset();  // closes the socket without a callback
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
  if (!self || !self->connecting_ || self->abandoned_ || self->stream_) {
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
  WebSocketStream::Options stream_options;
  stream_options.role = WebSocketStream::Role::kClient;
  stream_options.max_message_bytes = options_.max_message_bytes;
  stream_options.close_timeout_ms = options_.close_timeout_ms;
  stream_options.ping_interval_ms = options_.ping_interval_ms;
  stream_.emplace(*dispatcher_, stream_options, connection);
  g_object_unref(connection);  // the stream holds it
  stream_->hold_owner_while_dispatching(weak_from_this());
  if (!stream_->start(this)) {
    fail_connect(stream_->error());
    return;
  }
  arm_connect_deadline("waiting for the upgrade answer");
  std::string request;
  request.swap(request_);
  stream_->send_raw(request);  // a failed write is reported from the loop (on_ws_closed)
}

WebSocketClient::State WebSocketClient::state() const {
  if (connecting_) return State::kConnecting;
  if (!opened_) return State::kClosed;
  switch (stream_->state()) {
    case WebSocketStream::State::kOpen:
      return State::kOpen;
    case WebSocketStream::State::kClosing:
      return State::kClosing;
    default:
      return State::kClosed;
  }
}

std::uint16_t WebSocketClient::close_code() const {
  return opened_ ? stream_->close_code() : ws::close_code::kAbnormal;
}

const std::string& WebSocketClient::close_reason() const {
  static const std::string kNone;
  return opened_ ? stream_->close_reason() : kNone;
}

void WebSocketClient::on_ws_handshake_bytes(std::span<const std::uint8_t> bytes) {
  arm_connect_deadline("reading the upgrade answer");
  const std::size_t searched_from = answer_.size() >= 3 ? answer_.size() - 3 : 0;
  answer_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const std::size_t end = answer_.find("\r\n\r\n", searched_from);
  if (end != std::string::npos) {
    check_upgrade_answer(end + 4);
  } else if (answer_.size() > kMaxAnswerBytes) {
    fail_connect("the upgrade answer's headers are too large");
  }
}

void WebSocketClient::check_upgrade_answer(std::size_t header_end) {
  UpgradeAnswer answer = parse_upgrade_answer(std::string_view(answer_).substr(0, header_end), expected_accept_,
                                              options_.subprotocol);
  if (!answer.ok) {
    fail_connect(std::move(answer.problem), answer.status, false, std::move(answer.headers));
    return;
  }
  deadline_timer_.cancel();
  g_clear_object(&cancellable_);
  subprotocol_ = std::move(answer.subprotocol);
  std::string rest = answer_.substr(header_end);  // frames the server sent right behind the answer
  answer_.clear();
  answer_.shrink_to_fit();
  connecting_ = false;
  opened_ = true;
  stream_->open(std::move(rest));  // read from the loop, after `opened`
  if (callbacks_live_ && callbacks_.opened) {
    ++in_callback_;
    callbacks_.opened();
    --in_callback_;
    if (!callbacks_live_) clear_callbacks();
  }
}

void WebSocketClient::on_ws_text(std::string_view text, gint64) { deliver(WebSocketMessageType::kText, text); }

void WebSocketClient::on_ws_binary(std::span<const std::uint8_t> bytes, gint64) {
  deliver(WebSocketMessageType::kBinary, {reinterpret_cast<const char*>(bytes.data()), bytes.size()});
}

void WebSocketClient::on_ws_protocol_error(std::uint16_t code, const char* reason) {
  // Our close frame carries the reason; nothing the server sends can be read any more, so the
  // connection ends once that frame is out (stream_->error() is the reason).
  stream_->close(code, reason);
}

void WebSocketClient::on_ws_closed() {
  if (connecting_) {
    fail_connect(stream_->error() + " during the upgrade");
    return;
  }
  finish();
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
  if (opened_) stream_->send_text(text);
}

void WebSocketClient::send_binary(const void* data, std::size_t size) {
  if (opened_) stream_->send_binary({static_cast<const std::uint8_t*>(data), size});
}

void WebSocketClient::send_ping() {
  if (opened_) stream_->send_ping();
}

void WebSocketClient::close(std::uint16_t code, std::string_view reason) {
  if (connecting_) {
    if (abandoned_) return;
    abandoned_ = true;
    deadline_timer_.cancel();
    // `failed` follows from the loop, like every callback.
    fail_timer_.arm_in_ms(*dispatcher_, 0, [this] { fail_connect("closed before the connection was open"); });
    if (cancellable_) g_cancellable_cancel(cancellable_);
    if (stream_) stream_->abort();
    return;
  }
  if (!opened_ || stream_->state() != WebSocketStream::State::kOpen) return;
  stream_->close(code, reason);
  if (stream_->state() == WebSocketStream::State::kClosing)
    lingering_ = shared_from_this();  // the owner may drop us now; we end by ourselves
}

void WebSocketClient::fail_connect(std::string message, unsigned http_status, bool timed_out, HttpHeaders headers) {
  if (!connecting_) return;
  auto keep = shared_from_this();
  connecting_ = false;
  deadline_timer_.cancel();
  fail_timer_.cancel();
  if (cancellable_) g_cancellable_cancel(cancellable_);
  if (stream_) stream_->abort();  // never destroyed here: we may be inside one of its callbacks
  error_ = message;
  WebSocketConnectFailure failure{std::move(message), http_status, timed_out, std::move(headers)};
  auto failed = callbacks_live_ ? std::move(callbacks_.failed) : nullptr;
  clear_callbacks();
  if (failed) failed(failure);
}

void WebSocketClient::finish() {
  auto keep = shared_from_this();
  error_ = stream_->error();
  auto closed = callbacks_live_ ? std::move(callbacks_.closed) : nullptr;
  clear_callbacks();
  lingering_.reset();  // `keep` holds us until we return
  if (closed) closed();
}

}  // namespace mediaflow::net
