#include "elevenlabs_session.hpp"

#include <algorithm>

namespace mediaflow::elevenlabs {
namespace {

struct SelfRef {
  std::shared_ptr<Session> self;
};

}  // namespace

std::shared_ptr<Session> Session::create(SessionConfig config, SessionEvents events) {
  return std::shared_ptr<Session>(new Session(std::move(config), std::move(events)));
}

Session::Session(SessionConfig config, SessionEvents events) : config_(std::move(config)), events_(std::move(events)) {}

Session::~Session() {
  g_clear_object(&ws_);
  g_clear_object(&request_);
  g_clear_object(&cancellable_);
  g_clear_object(&soup_);
}

void Session::start() {
  if (shut_down_ || soup_) return;
  // Created here so that libsoup binds it to this (thread-default) context.
  soup_ = soup_session_new_with_options("timeout", config_.connect_timeout_s, "idle-timeout", 0u, nullptr);
  cancellable_ = g_cancellable_new();
  last_heard_us_ = g_get_monotonic_time();
  watchdog_ = g_timeout_source_new(std::clamp(config_.stall_timeout_ms / 4, 10u, 1000u));
  g_source_set_callback(
      watchdog_,
      [](gpointer d) -> gboolean {
        static_cast<SelfRef*>(d)->self->watchdog_tick();
        return G_SOURCE_CONTINUE;
      },
      new SelfRef{shared_from_this()}, [](gpointer d) { delete static_cast<SelfRef*>(d); });
  g_source_attach(watchdog_, g_main_context_get_thread_default());
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
  g_clear_object(&request_);
  request_ = soup_message_new(SOUP_METHOD_GET, url.c_str());
  if (!request_) {
    fail("invalid ElevenLabs conversation URL");
    return;
  }
  soup_session_websocket_connect_async(soup_, request_, nullptr, nullptr, G_PRIORITY_DEFAULT, cancellable_,
                                       &Session::connect_ready, new SelfRef{shared_from_this()});
}

void Session::connect_ready(GObject* source, GAsyncResult* res, gpointer data) {
  std::unique_ptr<SelfRef> ref(static_cast<SelfRef*>(data));
  Session* self = ref->self.get();
  GError* error = nullptr;
  SoupWebsocketConnection* ws = soup_session_websocket_connect_finish(SOUP_SESSION(source), res, &error);
  if (self->shut_down_ || self->failed_) {
    if (ws) g_object_unref(ws);
    g_clear_error(&error);
    return;
  }
  if (ws) {
    self->on_connected(ws);
    return;
  }
  const guint status = self->request_ ? soup_message_get_status(self->request_) : 0;
  std::string why;
  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    why = "ElevenLabs refused the conversation (HTTP " + std::to_string(status) + ")";
  else if (status >= 300)
    why = "ElevenLabs conversation handshake answered HTTP " + std::to_string(status);
  else
    why = std::string("cannot reach ElevenLabs: ") + (error ? error->message : "unknown error");
  g_clear_error(&error);
  self->fail(why);
}

void Session::on_connected(SoupWebsocketConnection* ws) {
  ws_ = ws;
  last_heard_us_ = g_get_monotonic_time();
  soup_websocket_connection_set_max_incoming_payload_size(ws_, 0);  // audio events can be large
  g_signal_connect(ws_, "message", G_CALLBACK(&Session::ws_message), this);
  g_signal_connect(ws_, "closed", G_CALLBACK(&Session::ws_closed), this);
  // The initiation message is optional but must come first.
  soup_websocket_connection_send_text(ws_, encode_initiation(config_.initiation).c_str());
  if (!pending_.empty() && ws_) {
    std::vector<std::uint8_t> held;
    held.swap(pending_);
    send_audio(held.data(), held.size());
  }
}

void Session::send_audio(const std::uint8_t* data, std::size_t size) {
  if (shut_down_ || failed_ || size == 0) return;
  if (!ws_) {
    pending_.insert(pending_.end(), data, data + size);
    if (pending_.size() > config_.pending_limit_bytes)
      pending_.erase(pending_.begin(),
                     pending_.begin() + static_cast<std::ptrdiff_t>(pending_.size() - config_.pending_limit_bytes));
    return;
  }
  const std::string msg = encode_user_audio_chunk({data, size});
  soup_websocket_connection_send_text(ws_, msg.c_str());  // may emit "closed" synchronously
}

void Session::send_text(const std::string& json) {
  if (ws_ && !shut_down_ && !failed_) soup_websocket_connection_send_text(ws_, json.c_str());
}

void Session::ws_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
  auto* self = static_cast<Session*>(data);
  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    self->fail("ElevenLabs sent a binary frame (protocol violation)");
    return;
  }
  gsize size = 0;
  const char* text = static_cast<const char*>(g_bytes_get_data(message, &size));
  self->on_text(text ? text : "", size);
}

void Session::on_text(const char* text, std::size_t size) {
  last_heard_us_ = g_get_monotonic_time();
  ServerMessage message = parse_server_message(std::string_view(text, size));
  if (const auto* ping = std::get_if<Ping>(&message)) {
    // At once, ahead of anything we still have to do for this message.
    soup_websocket_connection_send_text(ws_, encode_pong(ping->event_id).c_str());
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

void Session::ws_closed(SoupWebsocketConnection*, gpointer data) { static_cast<Session*>(data)->on_closed(); }

void Session::on_closed() {
  const gushort code = soup_websocket_connection_get_close_code(ws_);
  const char* reason = soup_websocket_connection_get_close_data(ws_);
  std::string why = "ElevenLabs closed the conversation (code " + std::to_string(code);
  // Close reasons are ElevenLabs' own short texts ("no user input", "invalid message").
  if (reason && *reason) why += std::string(": ") + std::string(reason).substr(0, 120);
  why += ")";
  g_signal_handlers_disconnect_by_data(ws_, this);
  g_clear_object(&ws_);
  if (code == SOUP_WEBSOCKET_CLOSE_NORMAL && events_.ended && !failed_ && !shut_down_) {
    // The agent said goodbye: not a failure. Stop watching and hand over.
    failed_ = true;
    auto keep = shared_from_this();
    if (watchdog_) {
      g_source_destroy(watchdog_);
      g_source_unref(watchdog_);
      watchdog_ = nullptr;
    }
    auto handler = events_.ended;
    handler();
    return;
  }
  fail(why);
}

void Session::watchdog_tick() {
  if (failed_ || shut_down_) return;
  if (g_get_monotonic_time() - last_heard_us_ > gint64(config_.stall_timeout_ms) * 1000)
    fail("ElevenLabs sent nothing for " + std::to_string(config_.stall_timeout_ms) + " ms");
}

void Session::close_socket(gushort code) {
  if (!ws_) return;
  g_signal_handlers_disconnect_by_data(ws_, this);
  if (soup_websocket_connection_get_state(ws_) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close(ws_, code, nullptr);
  g_clear_object(&ws_);
}

void Session::fail(const std::string& why) {
  if (failed_ || shut_down_) return;
  failed_ = true;
  auto keep = shared_from_this();
  if (cancellable_) g_cancellable_cancel(cancellable_);
  close_socket(SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  pending_.clear();
  if (watchdog_) {
    g_source_destroy(watchdog_);
    g_source_unref(watchdog_);
    watchdog_ = nullptr;
  }
  auto handler = events_.failed;
  if (handler) handler(why);
}

void Session::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (cancellable_) g_cancellable_cancel(cancellable_);
  if (watchdog_) {
    g_source_destroy(watchdog_);
    g_source_unref(watchdog_);
    watchdog_ = nullptr;
  }
  close_socket(SOUP_WEBSOCKET_CLOSE_NORMAL);
  pending_.clear();
  g_clear_object(&soup_);
  events_ = SessionEvents{};  // drops the owner reference last
}

}  // namespace mediaflow::elevenlabs
