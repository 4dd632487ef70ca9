#include <mediaflow/vendor/streaming_session.hpp>

#include <mediaflow/protocol/audio_chunker.hpp>
#include <mediaflow/protocol/json_number.hpp>
#include <mediaflow/protocol/websocket_frame.hpp>

#include <algorithm>
#include <climits>

namespace mediaflow::vendor {
namespace {

namespace ws = protocol::websocket;

constexpr double kNsPerSecond = 1e9;
constexpr unsigned kHttpUnauthorized = 401;
constexpr unsigned kHttpForbidden = 403;
constexpr unsigned kHttpRequestTimeout = 408;
constexpr unsigned kHttpTooManyRequests = 429;
// Never check for idleness more often than this, whatever the configuration says.
constexpr unsigned kMinKeepaliveMs = 50;

}  // namespace

std::shared_ptr<StreamingSession> StreamingSession::create(SessionConfig config, SessionEvents events) {
  return std::shared_ptr<StreamingSession>(new StreamingSession(std::move(config), std::move(events)));
}

StreamingSession::StreamingSession(SessionConfig config, SessionEvents events)
    : config_(std::move(config)),
      events_(std::move(events)),
      backlog_(config_.framing.bytes_per_second, config_.framing.frame_bytes, config_.backlog_bytes,
               config_.framing.silence) {
  g_mutex_init(&mutex_);
}

StreamingSession::~StreamingSession() {
  // shutdown() ran on the context: no socket and no armed timer is left.
  g_mutex_clear(&mutex_);
}

bool StreamingSession::push_audio(const std::uint8_t* data, std::size_t size, std::uint64_t call_time_ns) {
  if (discard_.load()) return false;
  g_mutex_lock(&mutex_);
  backlog_.append(data, size, call_time_ns);
  const bool whole_message = backlog_.unsent() >= config_.framing.min_message_bytes;
  g_mutex_unlock(&mutex_);
  // Less than a message pending: flush() would find nothing to send (the rest goes at
  // finish(), a new connection sends what is held by itself).
  return whole_message && !flush_pending_.exchange(true);
}

std::uint64_t StreamingSession::end_time() {
  g_mutex_lock(&mutex_);
  const std::uint64_t t = backlog_.time_at(backlog_.size());
  g_mutex_unlock(&mutex_);
  return t;
}

unsigned StreamingSession::finish_bound_ms() {
  std::uint64_t ms = config_.finalize_timeout_ms;
  if (config_.framing.real_time) {
    g_mutex_lock(&mutex_);
    ms += std::uint64_t(backlog_.size()) * 1000 / std::max<std::size_t>(config_.framing.bytes_per_second, 1);
    g_mutex_unlock(&mutex_);
  }
  return static_cast<unsigned>(std::min<std::uint64_t>(ms, UINT_MAX));
}

void StreamingSession::start() {
  if (shut_down_ || state_ != State::kIdle) return;
  // The thread-default context's dispatcher: sockets and timers of every call on this loop.
  dispatcher_ = net::EpollDispatcher::for_thread_default();
  if (!dispatcher_) {
    give_up("cannot watch sockets on this loop (epoll)");
    return;
  }
  connect();
}

void StreamingSession::connect() {
  state_ = State::kConnecting;
  net::WebSocketClientOptions options;
  options.url = config_.url;
  options.headers = config_.headers;
  options.connect_timeout_ms = config_.connect_timeout_ms;
  // The client calls back from the loop; a weak reference, so a late callback finds no one.
  const std::weak_ptr<StreamingSession> weak = weak_from_this();
  net::WebSocketClientCallbacks callbacks;
  callbacks.opened = [weak] {
    if (auto self = weak.lock()) self->on_connected();
  };
  callbacks.message = [weak](net::WebSocketMessageType type, std::string_view data) {
    if (type != net::WebSocketMessageType::kText) return;  // an ASR vendor answers in text
    if (auto self = weak.lock()) self->on_text(data);
  };
  callbacks.failed = [weak](const net::WebSocketConnectFailure& failure) {
    if (auto self = weak.lock()) self->on_connect_failed(failure);
  };
  callbacks.closed = [weak] {
    if (auto self = weak.lock()) self->on_closed();
  };
  ws_ = net::WebSocketClient::connect(std::move(options), std::move(callbacks));
  if (!ws_) give_up("invalid " + config_.vendor_name + " URL");
}

void StreamingSession::on_connected() {
  state_ = State::kOpen;
  audio_sent_on_connection_ = false;
  bytes_sent_on_connection_ = 0;
  opened_us_ = last_send_us_ = g_get_monotonic_time();
  unanswered_since_us_ = 0;
  schedule_keepalive();
  if (!config_.open_message.empty()) ws_->send_text(config_.open_message);
  for (const std::string& text : queued_text_) ws_->send_text(text);
  queued_text_.clear();
  if (finishing_) {
    send_rest_and_finalize();
  } else {
    send_pending(false);
  }
}

void StreamingSession::on_connect_failed(const net::WebSocketConnectFailure& failure) {
  const unsigned status = failure.http_status;
  if (status == kHttpUnauthorized || status == kHttpForbidden) {
    give_up(config_.vendor_name + " refused the API key (HTTP " + std::to_string(status) + ")");
    return;
  }
  // Other 4xx answers (bad parameters, unknown model) will not change on retry.
  if (status >= 400 && status < 500 && status != kHttpRequestTimeout && status != kHttpTooManyRequests) {
    const std::string* detail = config_.error_header.empty() ? nullptr : failure.header(config_.error_header);
    give_up(config_.vendor_name + " refused the stream (HTTP " + std::to_string(status) +
            (detail ? ": " + *detail : std::string()) + ")");
    return;
  }
  connection_lost();
}

void StreamingSession::on_text(std::string_view text) {
  if (!audio_sent_on_connection_) {
    g_mutex_lock(&mutex_);
    connection_start_ns_ = backlog_.unsent_time();
    g_mutex_unlock(&mutex_);
  }
  unanswered_since_us_ = 0;  // the watchdog's deadline, when armed, finds nothing outstanding
  if (!events_.message) return;
  auto keep = shared_from_this();  // the owner runs code of its own in between
  const MessageEffect effect = events_.message(text, static_cast<double>(connection_start_ns_) / kNsPerSecond);
  if (shut_down_) return;
  if (effect.healthy) failed_attempts_ = 0;  // the vendor is really working again
  if (effect.confirms_until_s) {
    const double end_s = *effect.confirms_until_s;
    // A time that fits no clock confirms nothing.
    if (const auto end_ns = protocol::checked_integer<std::uint64_t>((end_s > 0 ? end_s : 0.0) * kNsPerSecond)) {
      g_mutex_lock(&mutex_);
      backlog_.confirm_until(connection_start_ns_ + *end_ns);
      g_mutex_unlock(&mutex_);
    }
  }
  if (effect.finished && finalize_sent_) done();
}

void StreamingSession::on_closed() {
  const std::uint16_t code = ws_ ? ws_->close_code() : 0;
  close_socket(false);
  if (finalize_sent_ && code == ws::close_code::kNormal) {
    // The answer to the finalize message: every final result has arrived.
    done();
    return;
  }
  const CloseVerdict verdict = events_.closed ? events_.closed(code) : CloseVerdict{};
  if (!verdict.retry) {
    give_up(config_.vendor_name + " ended the stream (close " + std::to_string(code) + "): " +
            (verdict.reason ? verdict.reason : "not to be retried"));
    return;
  }
  connection_lost();
}

void StreamingSession::close_socket(bool send_close) {
  keepalive_timer_.cancel();
  pace_timer_.cancel();
  stall_timer_.cancel();
  stall_armed_ = false;
  if (!ws_) return;
  ws_->clear_callbacks();
  // A client in its close handshake keeps itself alive until the server answers (bounded);
  // one still connecting is abandoned.
  if (send_close && ws_->state() == net::WebSocketClient::State::kOpen) ws_->close(ws::close_code::kNormal);
  ws_.reset();
}

void StreamingSession::connection_lost() {
  close_socket(true);
  g_mutex_lock(&mutex_);
  backlog_.rewind();  // whatever was in flight may be lost: send it again
  g_mutex_unlock(&mutex_);
  finalize_sent_ = false;
  if (++failed_attempts_ > config_.max_reconnects) {
    give_up(config_.vendor_name + " unreachable after " + std::to_string(config_.max_reconnects) +
            " reconnect attempts");
    return;
  }
  state_ = State::kBackoff;
  const unsigned shift = std::min(failed_attempts_ - 1, 16u);
  const unsigned delay = static_cast<unsigned>(
      std::min<std::uint64_t>(std::uint64_t(config_.backoff_initial_ms) << shift, config_.backoff_max_ms));
  if (events_.reconnecting) events_.reconnecting();
  retry_timer_.arm_in_ms(*dispatcher_, delay, [this] {
    if (!shut_down_) connect();
  });
}

void StreamingSession::give_up(const std::string& why) {
  state_ = State::kDisabled;
  discard_ = true;
  close_socket(true);
  retry_timer_.cancel();
  g_mutex_lock(&mutex_);
  backlog_.clear();
  g_mutex_unlock(&mutex_);
  if (events_.failed) events_.failed(why);
  if (finishing_) done();
}

void StreamingSession::send_text(std::string message) {
  if (shut_down_ || state_ == State::kDisabled || state_ == State::kDone || finalize_sent_) return;
  if (state_ != State::kOpen || !ws_) {
    queued_text_.push_back(std::move(message));
    return;
  }
  last_send_us_ = g_get_monotonic_time();
  ws_->send_text(message);
}

void StreamingSession::flush() {
  flush_pending_ = false;
  if (shut_down_ || state_ != State::kOpen) return;
  if (finishing_) {
    send_rest_and_finalize();
  } else {
    send_pending(false);
  }
}

// Returns true when every held byte has been sent on this connection.
bool StreamingSession::send_pending(bool all) {
  const AudioFraming& f = config_.framing;
  while (ws_ && ws_->is_open() && state_ == State::kOpen) {
    g_mutex_lock(&mutex_);
    const std::size_t pending = backlog_.unsent();
    if (pending == 0 || (!all && pending < f.min_message_bytes)) {
      g_mutex_unlock(&mutex_);
      return pending == 0;
    }
    if (f.real_time) {
      const gint64 now = g_get_monotonic_time();
      const std::uint64_t sent_ns = bytes_sent_on_connection_ * 1000000000ull / std::max<std::size_t>(f.bytes_per_second, 1);
      const std::uint64_t wait_ns = protocol::pacing_delay_ns(sent_ns, std::uint64_t(now - opened_us_) * 1000);
      if (wait_ns > 0) {
        g_mutex_unlock(&mutex_);
        pace_timer_.arm_at(*dispatcher_, now + gint64((wait_ns + 999) / 1000), [this] { flush(); });
        return false;
      }
    }
    const std::uint64_t t = backlog_.take_unsent(f.max_message_bytes, chunk_);
    const bool last = backlog_.unsent() == 0;
    g_mutex_unlock(&mutex_);
    if (chunk_.empty()) return false;  // never an empty binary frame
    if (all && last && chunk_.size() < f.min_last_message_bytes) chunk_.resize(f.min_last_message_bytes, f.silence);
    if (!audio_sent_on_connection_) {
      audio_sent_on_connection_ = true;
      connection_start_ns_ = t;
    }
    last_send_us_ = g_get_monotonic_time();
    if (unanswered_since_us_ == 0) unanswered_since_us_ = last_send_us_;
    bytes_sent_on_connection_ += chunk_.size();
    // A failed write is reported later, from the loop (`closed`).
    ws_->send_binary(chunk_.data(), chunk_.size());
    schedule_stall_check();
  }
  return false;
}

void StreamingSession::send_rest_and_finalize() {
  if (finalize_sent_ || !send_pending(true) || state_ != State::kOpen || !ws_) return;
  finalize_sent_ = true;
  ws_->send_text(config_.finalize_message);
}

// One deadline per session: keepalive_ms after the last send. Audio moves the last send on,
// so while audio flows the deadline only finds that it is not due yet and moves along.
void StreamingSession::schedule_keepalive() {
  if (config_.keepalive_message.empty()) return;
  const gint64 interval_us = gint64(std::max(config_.keepalive_ms, kMinKeepaliveMs)) * 1000;
  keepalive_timer_.arm_at(*dispatcher_, last_send_us_ + interval_us, [this] { keepalive_due(); });
}

void StreamingSession::keepalive_due() {
  if (state_ != State::kOpen || !ws_ || finalize_sent_) return;
  const gint64 now = g_get_monotonic_time();
  if (now - last_send_us_ >= gint64(config_.keepalive_ms) * 1000) {
    last_send_us_ = now;
    ws_->send_text(config_.keepalive_message);
  }
  schedule_keepalive();
}

// The watchdog: audio went out and the vendor has said nothing for stall_timeout_ms since.
// One deadline per session, armed from the first unanswered send; a message that came in the
// meantime only makes it find nothing outstanding.
void StreamingSession::schedule_stall_check() {
  if (config_.stall_timeout_ms == 0 || stall_armed_ || unanswered_since_us_ == 0) return;
  stall_armed_ = true;
  stall_timer_.arm_at(*dispatcher_, unanswered_since_us_ + gint64(config_.stall_timeout_ms) * 1000,
                      [this] { stall_check_due(); });
}

void StreamingSession::stall_check_due() {
  stall_armed_ = false;
  if (state_ != State::kOpen || !ws_ || finalize_sent_) return;  // the finalize timer bounds the end
  if (unanswered_since_us_ == 0 ||
      g_get_monotonic_time() - unanswered_since_us_ < gint64(config_.stall_timeout_ms) * 1000) {
    schedule_stall_check();
    return;
  }
  connection_lost();
}

void StreamingSession::finish() {
  if (shut_down_ || finishing_) return;
  finishing_ = true;
  if (state_ == State::kDisabled || state_ == State::kDone) {
    done();
    return;
  }
  if (dispatcher_) finalize_timer_.arm_in_ms(*dispatcher_, finish_bound_ms(), [this] { done(); });
  if (state_ == State::kOpen) send_rest_and_finalize();
  // Connecting or backing off: on_connected() sends the rest and the finalize message.
}

void StreamingSession::done() {
  if (state_ == State::kDone && !finishing_) return;
  auto keep = shared_from_this();  // `finished` may lead the owner to drop us
  const bool was_finishing = finishing_;
  finishing_ = false;
  if (state_ != State::kDisabled) state_ = State::kDone;
  finalize_timer_.cancel();
  retry_timer_.cancel();
  close_socket(true);
  if (was_finishing && events_.finished) events_.finished();
}

void StreamingSession::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  discard_ = true;
  retry_timer_.cancel();
  finalize_timer_.cancel();
  close_socket(true);
  events_ = SessionEvents{};  // drops the owner reference last
}

}  // namespace mediaflow::vendor
