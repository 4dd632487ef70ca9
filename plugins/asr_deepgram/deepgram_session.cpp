#include "deepgram_session.hpp"

#include <mediaflow/protocol/websocket_frame.hpp>

#include <algorithm>

namespace mediaflow::deepgram {
namespace {

namespace ws = protocol::websocket;

constexpr double kNsPerSecond = 1e9;
constexpr unsigned kHttpUnauthorized = 401;
constexpr unsigned kHttpForbidden = 403;
constexpr unsigned kHttpRequestTimeout = 408;
constexpr unsigned kHttpTooManyRequests = 429;
// How long TCP + TLS + the upgrade answer may take (libsoup's session timeout before).
constexpr unsigned kConnectTimeoutMs = 10000;
// Never check for idleness more often than this, whatever the configuration says.
constexpr unsigned kMinKeepaliveMs = 50;

// Deepgram wants 20–250 ms per binary frame: send once 40 ms are pending, at most 100 ms each.
constexpr std::size_t kMinFrameMs = 40;
constexpr std::size_t kMaxFrameMs = 100;

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
  // shutdown() ran on the context: no socket and no armed timer is left.
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
  // The thread-default context's dispatcher: sockets and timers of every call on this loop.
  dispatcher_ = net::EpollDispatcher::for_thread_default();
  if (!dispatcher_) {
    give_up("cannot watch sockets on this loop (epoll)");
    return;
  }
  connect();
}

void Session::connect() {
  state_ = State::kConnecting;
  net::WebSocketClientOptions options;
  options.url = config_.url;
  options.headers = {{"Authorization", "Token " + config_.api_key}};
  options.connect_timeout_ms = kConnectTimeoutMs;
  // The client calls back from the loop; a weak reference, so a late callback finds no one.
  const std::weak_ptr<Session> weak = weak_from_this();
  net::WebSocketClientCallbacks callbacks;
  callbacks.opened = [weak] {
    if (auto self = weak.lock()) self->on_connected();
  };
  callbacks.message = [weak](net::WebSocketMessageType type, std::string_view data) {
    if (type != net::WebSocketMessageType::kText) return;  // Deepgram sends text only
    if (auto self = weak.lock()) self->on_text(data);
  };
  callbacks.failed = [weak](const net::WebSocketConnectFailure& failure) {
    if (auto self = weak.lock()) self->on_connect_failed(failure);
  };
  callbacks.closed = [weak] {
    if (auto self = weak.lock()) self->on_closed();
  };
  ws_ = net::WebSocketClient::connect(std::move(options), std::move(callbacks));
  if (!ws_) give_up("invalid Deepgram URL");
}

void Session::on_connected() {
  state_ = State::kOpen;
  audio_sent_on_connection_ = false;
  last_send_us_ = g_get_monotonic_time();
  schedule_keepalive();
  send_pending(finishing_);
  if (finishing_ && state_ == State::kOpen) send_close_stream();
}

void Session::on_connect_failed(const net::WebSocketConnectFailure& failure) {
  const unsigned status = failure.http_status;
  const std::string* dg_error_header = failure.header("dg-error");
  const char* dg_error = dg_error_header ? dg_error_header->c_str() : nullptr;
  if (status == kHttpUnauthorized || status == kHttpForbidden) {
    give_up("Deepgram refused the API key (HTTP " + std::to_string(status) + ")");
    return;
  }
  // Other 4xx answers (bad parameters, unknown model) will not change on retry.
  if (status >= 400 && status < 500 && status != kHttpRequestTimeout && status != kHttpTooManyRequests) {
    give_up("Deepgram refused the stream (HTTP " + std::to_string(status) +
            (dg_error ? std::string(": ") + dg_error : std::string()) + ")");
    return;
  }
  connection_lost();
}

void Session::on_text(std::string_view text) {
  ServerMessage message = parse_server_message(text);
  if (!audio_sent_on_connection_) {
    g_mutex_lock(&mutex_);
    connection_start_ns_ = backlog_.unsent_time();
    g_mutex_unlock(&mutex_);
  }
  const double start_s = static_cast<double>(connection_start_ns_) / kNsPerSecond;
  if (const auto* r = std::get_if<Results>(&message)) {
    failed_attempts_ = 0;  // the vendor is really working again
    const auto end_ns = r->is_final ? result_end_ns(*r) : std::nullopt;
    if (end_ns) {  // a time that fits no clock confirms nothing
      g_mutex_lock(&mutex_);
      backlog_.confirm_until(connection_start_ns_ + *end_ns);
      g_mutex_unlock(&mutex_);
    }
  }
  if (events_.message) events_.message(message, start_s);
}

void Session::on_closed() {
  const std::uint16_t code = ws_ ? ws_->close_code() : 0;
  close_socket(false);
  if (close_stream_sent_ && code == ws::close_code::kNormal) {
    // The answer to CloseStream: every final result has arrived.
    done();
  } else if (code == ws::close_code::kPolicyViolation) {
    // 1008: the audio is not decodable as declared; sending it again will not help.
    give_up("Deepgram rejected the audio (close 1008)");
  } else {
    connection_lost();
  }
}

void Session::close_socket(bool send_close) {
  keepalive_timer_.cancel();
  if (!ws_) return;
  ws_->clear_callbacks();
  // A client in its close handshake keeps itself alive until the server answers (bounded);
  // one still connecting is abandoned.
  if (send_close && ws_->state() == net::WebSocketClient::State::kOpen) ws_->close(ws::close_code::kNormal);
  ws_.reset();
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
  retry_timer_.arm_in_ms(*dispatcher_, delay, [this] {
    if (!shut_down_) connect();
  });
}

void Session::give_up(const std::string& why) {
  state_ = State::kDisabled;
  discard_ = true;
  close_socket(true);
  retry_timer_.cancel();
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
  while (ws_ && ws_->is_open() && state_ == State::kOpen) {
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
    // A failed write is reported later, from the loop (`closed`).
    ws_->send_binary(chunk_.data(), chunk_.size());
  }
}

void Session::send_close_stream() {
  const std::string msg = encode_control(Control::kCloseStream);
  close_stream_sent_ = true;
  ws_->send_text(msg);
}

// One deadline per session: keepalive_ms after the last send. Audio moves the last send on,
// so while audio flows the deadline only finds that it is not due yet and moves along.
void Session::schedule_keepalive() {
  const gint64 interval_us = gint64(std::max(config_.keepalive_ms, kMinKeepaliveMs)) * 1000;
  keepalive_timer_.arm_at(*dispatcher_, last_send_us_ + interval_us, [this] { keepalive_due(); });
}

void Session::keepalive_due() {
  if (state_ != State::kOpen || !ws_ || close_stream_sent_) return;
  const gint64 now = g_get_monotonic_time();
  if (now - last_send_us_ >= gint64(config_.keepalive_ms) * 1000) {
    last_send_us_ = now;
    ws_->send_text(encode_control(Control::kKeepAlive));
  }
  schedule_keepalive();
}

void Session::finish() {
  if (shut_down_ || finishing_) return;
  finishing_ = true;
  if (state_ == State::kDisabled || state_ == State::kDone) {
    done();
    return;
  }
  if (dispatcher_) finalize_timer_.arm_in_ms(*dispatcher_, config_.finalize_timeout_ms, [this] { done(); });
  if (state_ == State::kOpen) {
    send_pending(true);
    if (state_ == State::kOpen) send_close_stream();
  }
  // Connecting or backing off: on_connected() sends the rest and CloseStream.
}

void Session::done() {
  if (state_ == State::kDone && !finishing_) return;
  auto keep = shared_from_this();  // `finished` may lead the element to drop us
  const bool was_finishing = finishing_;
  finishing_ = false;
  if (state_ != State::kDisabled) state_ = State::kDone;
  finalize_timer_.cancel();
  retry_timer_.cancel();
  close_socket(true);
  if (was_finishing && events_.finished) events_.finished();
}

void Session::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  discard_ = true;
  retry_timer_.cancel();
  finalize_timer_.cancel();
  close_socket(true);
  events_ = SessionEvents{};  // drops the owner reference last
}

}  // namespace mediaflow::deepgram
