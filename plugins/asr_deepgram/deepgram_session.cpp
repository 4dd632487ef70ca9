#include "deepgram_session.hpp"

#include <algorithm>

namespace mediaflow::deepgram {
namespace {

constexpr double kNsPerSecond = 1e9;

// Deepgram wants 20–250 ms per binary frame: send once 40 ms are pending, at most 100 ms each.
constexpr std::size_t kMinFrameMs = 40;
constexpr std::size_t kMaxFrameMs = 100;

struct SelfRef {
  std::shared_ptr<Session> self;
};

GSource* add_timeout(guint ms, GSourceFunc fn, std::shared_ptr<Session> self) {
  GSource* source = g_timeout_source_new(ms);
  g_source_set_callback(source, fn, new SelfRef{std::move(self)},
                        [](gpointer d) { delete static_cast<SelfRef*>(d); });
  g_source_attach(source, g_main_context_get_thread_default());
  return source;
}

void destroy_source(GSource*& source) {
  if (!source) return;
  g_source_destroy(source);
  g_source_unref(source);
  source = nullptr;
}

}  // namespace

std::shared_ptr<Session> Session::create(SessionConfig config, SessionEvents events) {
  return std::shared_ptr<Session>(new Session(std::move(config), std::move(events)));
}

Session::Session(SessionConfig config, SessionEvents events)
    : config_(std::move(config)),
      events_(std::move(events)),
      backlog_(config_.bytes_per_second, config_.frame_bytes, config_.backlog_bytes, config_.silence) {
  g_mutex_init(&mutex_);
}

Session::~Session() {
  // shutdown() ran on the context; whatever is left holds no callbacks.
  g_clear_object(&ws_);
  g_clear_object(&handshake_);
  g_clear_object(&cancellable_);
  g_clear_object(&soup_);
  g_mutex_clear(&mutex_);
}

bool Session::push_audio(const std::uint8_t* data, std::size_t size, std::uint64_t call_time_ns) {
  if (discard_.load()) return false;
  g_mutex_lock(&mutex_);
  backlog_.append(data, size, call_time_ns);
  g_mutex_unlock(&mutex_);
  return !flush_pending_.exchange(true);
}

std::uint64_t Session::end_time() {
  g_mutex_lock(&mutex_);
  const std::uint64_t t = backlog_.time_at(backlog_.size());
  g_mutex_unlock(&mutex_);
  return t;
}

void Session::start() {
  if (shut_down_ || state_ != State::kIdle) return;
  // Created here so that libsoup binds it to this (thread-default) context.
  soup_ = soup_session_new_with_options("timeout", 10u, "idle-timeout", 0u, nullptr);
  cancellable_ = g_cancellable_new();
  keepalive_timer_ = add_timeout(
      std::max(config_.keepalive_ms / 2, 50u),
      [](gpointer d) -> gboolean {
        static_cast<SelfRef*>(d)->self->keepalive_tick();
        return G_SOURCE_CONTINUE;
      },
      shared_from_this());
  connect();
}

void Session::connect() {
  state_ = State::kConnecting;
  g_clear_object(&handshake_);
  handshake_ = soup_message_new(SOUP_METHOD_GET, config_.url.c_str());
  if (!handshake_) {
    give_up("invalid Deepgram URL");
    return;
  }
  const std::string auth = "Token " + config_.api_key;
  soup_message_headers_replace(soup_message_get_request_headers(handshake_), "Authorization", auth.c_str());
  soup_session_websocket_connect_async(soup_, handshake_, nullptr, nullptr, G_PRIORITY_DEFAULT,
                                       cancellable_, &Session::connect_ready,
                                       new SelfRef{shared_from_this()});
}

void Session::connect_ready(GObject* source, GAsyncResult* res, gpointer data) {
  std::unique_ptr<SelfRef> ref(static_cast<SelfRef*>(data));
  Session* self = ref->self.get();
  GError* error = nullptr;
  SoupWebsocketConnection* ws =
      soup_session_websocket_connect_finish(SOUP_SESSION(source), res, &error);
  if (self->shut_down_) {
    if (ws) g_object_unref(ws);
    g_clear_error(&error);
    return;
  }
  if (ws) {
    self->on_connected(ws);
    return;
  }
  guint status = self->handshake_ ? soup_message_get_status(self->handshake_) : 0;
  const char* dg_error = self->handshake_ ? soup_message_headers_get_one(
                             soup_message_get_response_headers(self->handshake_), "dg-error")
                                          : nullptr;
  self->on_connect_failed(error, status, dg_error);
  g_clear_error(&error);
}

void Session::on_connected(SoupWebsocketConnection* ws) {
  ws_ = ws;
  state_ = State::kOpen;
  audio_sent_on_connection_ = false;
  last_send_us_ = g_get_monotonic_time();
  // Never let libsoup refuse a large Results message.
  soup_websocket_connection_set_max_incoming_payload_size(ws_, 0);
  g_signal_connect(ws_, "message", G_CALLBACK(&Session::ws_message), this);
  g_signal_connect(ws_, "closed", G_CALLBACK(&Session::ws_closed), this);
  send_pending(finishing_);
  if (finishing_ && state_ == State::kOpen) send_close_stream();
}

void Session::on_connect_failed(GError* error, guint status, const char* dg_error) {
  if (error && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) return;
  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN) {
    give_up("Deepgram refused the API key (HTTP " + std::to_string(status) + ")");
    return;
  }
  // Other 4xx answers (bad parameters, unknown model) will not change on retry.
  if (status >= 400 && status < 500 && status != SOUP_STATUS_REQUEST_TIMEOUT && status != 429) {
    give_up("Deepgram refused the stream (HTTP " + std::to_string(status) +
            (dg_error ? std::string(": ") + dg_error : std::string()) + ")");
    return;
  }
  connection_lost();
}

void Session::ws_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
  if (type != SOUP_WEBSOCKET_DATA_TEXT) return;  // Deepgram sends text only
  gsize size = 0;
  const char* text = static_cast<const char*>(g_bytes_get_data(message, &size));
  static_cast<Session*>(data)->on_text(text ? text : "", size);
}

void Session::on_text(const char* text, std::size_t size) {
  ServerMessage message = parse_server_message(std::string_view(text, size));
  if (!audio_sent_on_connection_) {
    g_mutex_lock(&mutex_);
    connection_start_ns_ = backlog_.unsent_time();
    g_mutex_unlock(&mutex_);
  }
  const double start_s = static_cast<double>(connection_start_ns_) / kNsPerSecond;
  if (const auto* r = std::get_if<Results>(&message)) {
    failed_attempts_ = 0;  // the vendor is really working again
    if (r->is_final) {
      const auto end_ns = connection_start_ns_ +
                          static_cast<std::uint64_t>(std::max(0.0, r->start + r->duration) * kNsPerSecond);
      g_mutex_lock(&mutex_);
      backlog_.confirm_until(end_ns);
      g_mutex_unlock(&mutex_);
    }
  }
  if (events_.message) events_.message(message, start_s);
}

void Session::ws_closed(SoupWebsocketConnection*, gpointer data) {
  static_cast<Session*>(data)->on_closed();
}

void Session::on_closed() {
  const gushort code = soup_websocket_connection_get_close_code(ws_);
  close_socket(false);
  if (close_stream_sent_ && code == SOUP_WEBSOCKET_CLOSE_NORMAL) {
    // The answer to CloseStream: every final result has arrived.
    done();
  } else if (code == SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION) {
    // 1008: the audio is not decodable as declared; sending it again will not help.
    give_up("Deepgram rejected the audio (close 1008)");
  } else {
    connection_lost();
  }
}

void Session::close_socket(bool send_close) {
  if (!ws_) return;
  g_signal_handlers_disconnect_by_data(ws_, this);
  if (send_close && soup_websocket_connection_get_state(ws_) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close(ws_, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
  g_clear_object(&ws_);
}

void Session::connection_lost() {
  close_socket(true);
  g_mutex_lock(&mutex_);
  backlog_.rewind();  // whatever was in flight may be lost: send it again
  g_mutex_unlock(&mutex_);
  close_stream_sent_ = false;
  if (++failed_attempts_ > config_.max_reconnects) {
    give_up("Deepgram unreachable after " + std::to_string(config_.max_reconnects) + " reconnect attempts");
    return;
  }
  state_ = State::kBackoff;
  const unsigned shift = std::min(failed_attempts_ - 1, 16u);
  const unsigned delay = std::min<std::uint64_t>(std::uint64_t(config_.backoff_initial_ms) << shift,
                                                 config_.backoff_max_ms);
  if (events_.reconnecting) events_.reconnecting();
  destroy_source(retry_timer_);
  retry_timer_ = add_timeout(
      delay,
      [](gpointer d) -> gboolean {
        Session* s = static_cast<SelfRef*>(d)->self.get();
        g_source_unref(s->retry_timer_);
        s->retry_timer_ = nullptr;
        if (!s->shut_down_) s->connect();
        return G_SOURCE_REMOVE;
      },
      shared_from_this());
}

void Session::give_up(const std::string& why) {
  state_ = State::kDisabled;
  discard_ = true;
  close_socket(true);
  destroy_source(retry_timer_);
  g_mutex_lock(&mutex_);
  backlog_.clear();
  g_mutex_unlock(&mutex_);
  if (events_.warning) events_.warning(why);
  if (finishing_) done();
}

void Session::flush() {
  flush_pending_ = false;
  if (shut_down_ || state_ != State::kOpen) return;
  send_pending(false);
}

void Session::send_pending(bool all) {
  const std::size_t min_bytes = config_.bytes_per_second * kMinFrameMs / 1000;
  const std::size_t max_bytes = config_.bytes_per_second * kMaxFrameMs / 1000;
  while (ws_ && state_ == State::kOpen) {
    g_mutex_lock(&mutex_);
    const std::size_t pending = backlog_.unsent();
    if (pending == 0 || (!all && pending < min_bytes)) {
      g_mutex_unlock(&mutex_);
      return;
    }
    const std::uint64_t t = backlog_.take_unsent(max_bytes, chunk_);
    g_mutex_unlock(&mutex_);
    if (chunk_.empty()) return;  // never an empty binary frame
    if (!audio_sent_on_connection_) {
      audio_sent_on_connection_ = true;
      connection_start_ns_ = t;
    }
    last_send_us_ = g_get_monotonic_time();
    // May emit "closed" synchronously on a write error: no lock held here.
    soup_websocket_connection_send_binary(ws_, chunk_.data(), chunk_.size());
  }
}

void Session::send_close_stream() {
  const std::string msg = encode_control(Control::kCloseStream);
  close_stream_sent_ = true;
  soup_websocket_connection_send_text(ws_, msg.c_str());
}

void Session::keepalive_tick() {
  if (state_ != State::kOpen || !ws_ || close_stream_sent_) return;
  if (g_get_monotonic_time() - last_send_us_ < gint64(config_.keepalive_ms) * 1000) return;
  last_send_us_ = g_get_monotonic_time();
  soup_websocket_connection_send_text(ws_, encode_control(Control::kKeepAlive).c_str());
}

void Session::finish() {
  if (shut_down_ || finishing_) return;
  finishing_ = true;
  if (state_ == State::kDisabled || state_ == State::kDone) {
    done();
    return;
  }
  finalize_timer_ = add_timeout(
      config_.finalize_timeout_ms,
      [](gpointer d) -> gboolean {
        Session* s = static_cast<SelfRef*>(d)->self.get();
        g_source_unref(s->finalize_timer_);
        s->finalize_timer_ = nullptr;
        s->done();
        return G_SOURCE_REMOVE;
      },
      shared_from_this());
  if (state_ == State::kOpen) {
    send_pending(true);
    if (state_ == State::kOpen) send_close_stream();
  }
  // Connecting or backing off: on_connected() sends the rest and CloseStream.
}

void Session::done() {
  if (state_ == State::kDone && !finishing_) return;
  const bool was_finishing = finishing_;
  finishing_ = false;
  if (state_ != State::kDisabled) state_ = State::kDone;
  destroy_source(finalize_timer_);
  destroy_source(retry_timer_);
  if (g_cancellable_is_cancelled(cancellable_) == FALSE) g_cancellable_cancel(cancellable_);
  close_socket(true);
  if (was_finishing && events_.finished) events_.finished();
}

void Session::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  discard_ = true;
  if (cancellable_) g_cancellable_cancel(cancellable_);
  destroy_source(keepalive_timer_);
  destroy_source(retry_timer_);
  destroy_source(finalize_timer_);
  close_socket(true);
  g_clear_object(&soup_);
  events_ = SessionEvents{};  // drops the owner reference last
}

}  // namespace mediaflow::deepgram
