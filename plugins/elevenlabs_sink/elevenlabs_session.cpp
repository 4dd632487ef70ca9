#include "elevenlabs_session.hpp"

#include <mediaflow/protocol/websocket_frame.hpp>

#include <algorithm>

namespace mediaflow::elevenlabs {
namespace {

namespace ws = protocol::websocket;

constexpr unsigned kHttpUnauthorized = 401;
constexpr unsigned kHttpForbidden = 403;

struct SelfRef {
  std::shared_ptr<Session> self;
};

}  // namespace

std::shared_ptr<Session> Session::create(SessionConfig config, SessionEvents events) {
  return std::shared_ptr<Session>(new Session(std::move(config), std::move(events)));
}

Session::Session(SessionConfig config, SessionEvents events) : config_(std::move(config)), events_(std::move(events)) {}

Session::~Session() {
  // shutdown() ran on the context: no socket and no armed timer is left.
  g_clear_object(&request_);
  g_clear_object(&cancellable_);
  g_clear_object(&soup_);
}

void Session::start() {
  if (shut_down_ || started_) return;
  started_ = true;
  // The thread-default context's dispatcher: sockets and timers of every call on this loop.
  dispatcher_ = net::EpollDispatcher::for_thread_default();
  if (!dispatcher_) {
    fail("cannot watch sockets on this loop (epoll)");
    return;
  }
  last_heard_us_ = g_get_monotonic_time();
  schedule_watchdog();
  if (config_.api_key.empty())
    connect(build_conversation_url(config_.ws_url, config_.agent_id));
  else
    request_signed_url();
}

void Session::request_signed_url() {
  const std::string url = build_signed_url_request(config_.api_url, config_.agent_id);
  request_ = soup_message_new(SOUP_METHOD_GET, url.c_str());
  if (!request_) {
    fail("invalid ElevenLabs API URL");
    return;
  }
  // Created here so that libsoup binds it to this (thread-default) context; one request only.
  soup_ = soup_session_new_with_options("timeout", config_.connect_timeout_s, "idle-timeout", 0u, nullptr);
  cancellable_ = g_cancellable_new();
  soup_message_headers_replace(soup_message_get_request_headers(request_), "xi-api-key", config_.api_key.c_str());
  soup_session_send_and_read_async(soup_, request_, G_PRIORITY_DEFAULT, cancellable_, &Session::signed_url_ready,
                                   new SelfRef{shared_from_this()});
}

void Session::signed_url_ready(GObject* source, GAsyncResult* res, gpointer data) {
  std::unique_ptr<SelfRef> ref(static_cast<SelfRef*>(data));
  Session* self = ref->self.get();
  GError* error = nullptr;
  GBytes* body = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &error);
  if (self->shut_down_ || self->failed_) {
    if (body) g_bytes_unref(body);
    g_clear_error(&error);
    return;
  }
  const guint status = soup_message_get_status(self->request_);
  std::optional<std::string> url;
  if (body && status == SOUP_STATUS_OK) {
    gsize n = 0;
    const auto* p = static_cast<const char*>(g_bytes_get_data(body, &n));
    url = parse_signed_url_response(std::string_view(p ? p : "", n));
  }
  if (body) g_bytes_unref(body);
  if (error) {
    const std::string why = std::string("signed-URL request failed: ") + error->message;
    g_clear_error(&error);
    self->fail(why);
    return;
  }
  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN) {
    self->fail("ElevenLabs refused the API key (HTTP " + std::to_string(status) + " on get-signed-url)");
    return;
  }
  if (status != SOUP_STATUS_OK) {
    self->fail("ElevenLabs get-signed-url answered HTTP " + std::to_string(status));
    return;
  }
  if (!url) {
    self->fail("ElevenLabs get-signed-url answered without a signed_url");
    return;
  }
  self->connect(*url);  // the signed URL is opaque and secret: never logged
}

void Session::connect(const std::string& url) {
  g_clear_object(&request_);  // the signed-URL request is done; so is its HTTP session
  g_clear_object(&soup_);
  net::WebSocketClientOptions options;
  options.url = url;
  options.connect_timeout_ms = config_.connect_timeout_s * 1000;
  // The client calls back from the loop; a weak reference, so a late callback finds no one.
  const std::weak_ptr<Session> weak = weak_from_this();
  net::WebSocketClientCallbacks callbacks;
  callbacks.opened = [weak] {
    if (auto self = weak.lock()) self->on_connected();
  };
  callbacks.message = [weak](net::WebSocketMessageType type, std::string_view data) {
    auto self = weak.lock();
    if (!self) return;
    if (type != net::WebSocketMessageType::kText) {
      self->fail("ElevenLabs sent a binary frame (protocol violation)");
      return;
    }
    self->on_text(data);
  };
  callbacks.failed = [weak](const net::WebSocketConnectFailure& failure) {
    if (auto self = weak.lock()) self->on_connect_failed(failure);
  };
  callbacks.closed = [weak] {
    if (auto self = weak.lock()) self->on_closed();
  };
  ws_ = net::WebSocketClient::connect(std::move(options), std::move(callbacks));
  if (!ws_) fail("invalid ElevenLabs conversation URL");
}

void Session::on_connect_failed(const net::WebSocketConnectFailure& failure) {
  if (shut_down_ || failed_) return;
  const unsigned status = failure.http_status;
  std::string why;
  if (status == kHttpUnauthorized || status == kHttpForbidden)
    why = "ElevenLabs refused the conversation (HTTP " + std::to_string(status) + ")";
  else if (status >= 300)
    why = "ElevenLabs conversation handshake answered HTTP " + std::to_string(status);
  else
    why = "cannot reach ElevenLabs: " + failure.message;
  fail(why);
}

void Session::on_connected() {
  last_heard_us_ = g_get_monotonic_time();
  // The initiation message is optional but must come first.
  ws_->send_text(encode_initiation(config_.initiation));
  if (!pending_.empty()) {
    std::vector<std::uint8_t> held;
    held.swap(pending_);
    send_audio(held.data(), held.size());
  }
}

void Session::send_audio(const std::uint8_t* data, std::size_t size) {
  if (shut_down_ || failed_ || size == 0) return;
  if (!open()) {
    pending_.insert(pending_.end(), data, data + size);
    if (pending_.size() > config_.pending_limit_bytes)
      pending_.erase(pending_.begin(),
                     pending_.begin() + static_cast<std::ptrdiff_t>(pending_.size() - config_.pending_limit_bytes));
    return;
  }
  // A failed write is reported later, from the loop (`closed`).
  ws_->send_text(encode_user_audio_chunk({data, size}));
}

void Session::send_text(const std::string& json) {
  if (open() && !shut_down_ && !failed_) ws_->send_text(json);
}

void Session::on_text(std::string_view text) {
  last_heard_us_ = g_get_monotonic_time();
  ServerMessage message = parse_server_message(text);
  if (const auto* ping = std::get_if<Ping>(&message)) {
    // At once, ahead of anything we still have to do for this message.
    ws_->send_text(encode_pong(ping->event_id));
    ++pongs_sent_;
    return;
  }
  if (const auto* bad = std::get_if<Malformed>(&message)) {
    fail("ElevenLabs sent an unreadable message (" + bad->description + ")");
    return;
  }
  // Keep ourselves and the handler alive: the handler may shut us down.
  auto keep = shared_from_this();
  auto handler = events_.message;
  if (handler) handler(message);
}

void Session::on_closed() {
  const std::uint16_t code = ws_->close_code();
  std::string why = "ElevenLabs closed the conversation (code " + std::to_string(code);
  // Close reasons are ElevenLabs' own short texts ("no user input", "invalid message").
  if (!ws_->close_reason().empty()) why += ": " + ws_->close_reason().substr(0, 120);
  why += ")";
  ws_->clear_callbacks();
  ws_.reset();
  if (code == ws::close_code::kNormal && events_.ended && !failed_ && !shut_down_) {
    // The agent said goodbye: not a failure. Stop watching and hand over.
    failed_ = true;
    auto keep = shared_from_this();
    watchdog_.cancel();
    auto handler = events_.ended;
    handler();
    return;
  }
  fail(why);
}

// One deadline per session: stall_timeout_ms after the last message heard. Messages only move
// last_heard_us_; the deadline, when it comes, finds the time moved on and follows it.
void Session::schedule_watchdog() {
  watchdog_.arm_at(*dispatcher_, last_heard_us_ + gint64(config_.stall_timeout_ms) * 1000,
                   [this] { watchdog_due(); });
}

void Session::watchdog_due() {
  if (failed_ || shut_down_) return;
  if (g_get_monotonic_time() - last_heard_us_ >= gint64(config_.stall_timeout_ms) * 1000) {
    fail("ElevenLabs sent nothing for " + std::to_string(config_.stall_timeout_ms) + " ms");
    return;
  }
  schedule_watchdog();
}

void Session::close_socket(std::uint16_t code) {
  if (!ws_) return;
  ws_->clear_callbacks();
  // A client in its close handshake keeps itself alive until the server answers (bounded);
  // one still connecting is abandoned.
  if (ws_->state() == net::WebSocketClient::State::kOpen) ws_->close(code);
  ws_.reset();
}

void Session::fail(const std::string& why) {
  if (failed_ || shut_down_) return;
  failed_ = true;
  auto keep = shared_from_this();
  if (cancellable_) g_cancellable_cancel(cancellable_);
  close_socket(ws::close_code::kGoingAway);
  pending_.clear();
  watchdog_.cancel();
  auto handler = events_.failed;
  if (handler) handler(why);
}

void Session::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (cancellable_) g_cancellable_cancel(cancellable_);
  watchdog_.cancel();
  close_socket(ws::close_code::kNormal);
  pending_.clear();
  g_clear_object(&soup_);
  events_ = SessionEvents{};  // drops the owner reference last
}

}  // namespace mediaflow::elevenlabs
