#include <mediaflow/dial/caller.hpp>

#include "dial/caller_protocol.hpp"
#include "dial/deadline_scheduler.hpp"
#include "dial/frame_matcher.hpp"

#include <libsoup/soup.h>

#include <algorithm>
#include <deque>

namespace mediaflow::dial {

namespace {

constexpr int64_t kUsPerSecond = 1000000;
constexpr unsigned kFramesPerSecond = 50;  // 20 ms frames

std::unique_ptr<CallerProtocol> make_protocol(const CallerOptions& options) {
  return options.protocol == CallProtocol::kJambonz ? make_jambonz_protocol(options) : make_twilio_protocol(options);
}

}  // namespace

const char* protocol_name(CallProtocol protocol) {
  return protocol == CallProtocol::kJambonz ? "jambonz" : "twilio";
}

struct Caller::Impl : std::enable_shared_from_this<Impl>, MessageSink {
  GMainContext* ctx;
  CallerOptions opt;
  std::unique_ptr<CallerProtocol> protocol;
  std::shared_ptr<DeadlineScheduler> scheduler;
  CallResult result;
  DoneCallback on_done;
  bool finished = false;
  bool vanished = false;  // the TCP connection was dropped on purpose

  SoupSession* session = nullptr;
  SoupMessage* msg = nullptr;
  SoupWebsocketConnection* conn = nullptr;
  GCancellable* cancellable = nullptr;
  std::vector<gulong> handlers;

  // Sending.
  enum class Phase { kConnecting, kAudio, kHold, kEnding, kDone } phase = Phase::kConnecting;
  uint64_t next_frame = 0;   // index of the next frame (audio, then hold silence)
  uint64_t audio_frames = 0;
  uint64_t hold_frames = 0;
  int64_t sent_bytes_per_second = 0;   // all channels of the caller's audio
  int64_t track_bytes_per_second = 0;  // one track: what the host sends back
  int64_t open_us = 0;       // WebSocket opened
  int64_t first_send_us = 0;
  int64_t connect_begin_us = 0;
  std::vector<uint8_t> frame_buf;
  std::vector<uint8_t> caller_track;  // channel 0 of frame_buf: what an echo returns
  DeadlineScheduler::TimerId send_timer = 0;
  DeadlineScheduler::TimerId guard_timer = 0;  // connect / close timeout

  // Playback of what the host sends (the telephony side's buffer).
  int64_t play_end_us = 0;  // when everything received so far has played
  struct PendingMark {
    std::string name;
    int64_t due_us;
  };
  std::deque<PendingMark> pending_marks;
  DeadlineScheduler::TimerId mark_timer = 0;

  FrameMatcher matcher;

  Impl(GMainContext* c, CallerOptions o)
      : ctx(g_main_context_ref(c ? c : g_main_context_default())), opt(std::move(o)), protocol(make_protocol(opt)),
        scheduler(DeadlineScheduler::for_context(ctx)), matcher(1) {}  // the matcher is sized in start()

  ~Impl() {
    cancel_timers();
    if (cancellable) {
      g_cancellable_cancel(cancellable);
      g_object_unref(cancellable);
    }
    drop_connection();
    if (msg) g_object_unref(msg);
    if (session) g_object_unref(session);
    g_main_context_unref(ctx);
  }

  void cancel_timers() {
    for (auto* t : {&send_timer, &guard_timer, &mark_timer}) {
      if (*t) scheduler->cancel(*t);
      *t = 0;
    }
  }

  void drop_connection() {
    if (!conn) return;
    for (gulong h : handlers) g_signal_handler_disconnect(conn, h);
    handlers.clear();
    if (!vanished && is_open()) soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
    g_object_unref(conn);
    conn = nullptr;
  }

  bool is_open() const { return conn && soup_websocket_connection_get_state(conn) == SOUP_WEBSOCKET_STATE_OPEN; }
  double ms_since_open(int64_t t) const { return (t - open_us) / 1000.0; }
  int64_t sent_bytes_to_us(uint64_t bytes) const { return static_cast<int64_t>(bytes) * kUsPerSecond / sent_bytes_per_second; }
  int64_t track_bytes_to_us(uint64_t bytes) const { return static_cast<int64_t>(bytes) * kUsPerSecond / track_bytes_per_second; }

  // --- lifecycle ------------------------------------------------------------------------

  void start(DoneCallback cb) {
    on_done = std::move(cb);
    if (std::string why = protocol->check_options(); !why.empty()) return fail(why);
    track_bytes_per_second = static_cast<int64_t>(opt.sample_rate * protocol->bytes_per_sample());
    sent_bytes_per_second = track_bytes_per_second * opt.channels;
    if (opt.frame_bytes == 0) opt.frame_bytes = static_cast<size_t>(sent_bytes_per_second / kFramesPerSecond);
    matcher = FrameMatcher(opt.frame_bytes / opt.channels);
    audio_frames = opt.frame_source ? opt.frame_count
                                    : (opt.audio.size() + opt.frame_bytes - 1) / opt.frame_bytes;
    hold_frames = opt.hold_with_silence
                      ? static_cast<uint64_t>(opt.hold_seconds * sent_bytes_per_second / opt.frame_bytes + 0.5)
                      : 0;
    frame_buf.resize(opt.frame_bytes);
    caller_track.resize(opt.frame_bytes / opt.channels);

    g_main_context_push_thread_default(ctx);
    session = soup_session_new_with_options("max-conns", 65535, "max-conns-per-host", 65535,
                                            "idle-timeout", 0, "timeout", 0, nullptr);
    GError* err = nullptr;
    GUri* uri = g_uri_parse(opt.url.c_str(), static_cast<GUriFlags>(SOUP_HTTP_URI_FLAGS), &err);
    if (!uri) {
      g_main_context_pop_thread_default(ctx);
      fail(std::string("bad URL: ") + err->message);
      g_error_free(err);
      return;
    }
    msg = soup_message_new_from_uri(SOUP_METHOD_GET, uri);
    g_uri_unref(uri);
    for (const auto& [k, v] : opt.headers)
      soup_message_headers_append(soup_message_get_request_headers(msg), k.c_str(), v.c_str());
    const char* subprotocols[] = {protocol->subprotocol(), nullptr};
    cancellable = g_cancellable_new();
    connect_begin_us = g_get_monotonic_time();
    soup_session_websocket_connect_async(session, msg, nullptr, subprotocols[0] ? const_cast<char**>(subprotocols) : nullptr,
                                         G_PRIORITY_DEFAULT, cancellable, &Impl::on_connected,
                                         new std::weak_ptr<Impl>(shared_from_this()));
    g_main_context_pop_thread_default(ctx);
    arm_guard(opt.connect_timeout_seconds, "connect timed out");
  }

  void arm_guard(double seconds, const char* why) {
    if (guard_timer) scheduler->cancel(guard_timer);
    std::weak_ptr<Impl> weak = shared_from_this();
    std::string reason = why;
    guard_timer = scheduler->schedule(
        g_get_monotonic_time() + static_cast<int64_t>(seconds * 1e6), [weak, reason] {
          auto self = weak.lock();
          if (!self) return;
          self->guard_timer = 0;
          self->on_guard_expired(reason);
        });
  }

  void on_guard_expired(const std::string& why) {
    if (phase == Phase::kConnecting) {
      g_cancellable_cancel(cancellable);  // on_connected reports the failure
      result.error = why;
      return;
    }
    // The host did not close in time: close ourselves.
    result.timed_out = true;
    if (is_open()) {
      soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_NORMAL, "timeout");
      arm_guard(2, "close handshake timed out");
    } else {
      complete();
    }
  }

  static void on_connected(GObject* source, GAsyncResult* res, gpointer data) {
    std::unique_ptr<std::weak_ptr<Impl>> weak(static_cast<std::weak_ptr<Impl>*>(data));
    GError* err = nullptr;
    SoupWebsocketConnection* c =
        soup_session_websocket_connect_finish(SOUP_SESSION(source), res, &err);
    auto self = weak->lock();
    if (!self) {
      if (c) g_object_unref(c);
      if (err) g_error_free(err);
      return;
    }
    self->result.http_status = soup_message_get_status(self->msg);
    if (!c) {
      std::string why = self->result.error.empty() ? err->message : self->result.error;
      g_error_free(err);
      self->fail(why);
      return;
    }
    self->on_open(c);
  }

  void fail(const std::string& why) {
    result.error = why;
    complete();
  }

  void on_open(SoupWebsocketConnection* c) {
    conn = c;
    result.connected = true;
    open_us = g_get_monotonic_time();
    result.connect_ms = (open_us - connect_begin_us) / 1000.0;
    if (guard_timer) scheduler->cancel(guard_timer);
    guard_timer = 0;
    // A caller that asked for a subprotocol (jambonz's libwebsockets) drops a host that did not
    // select it.
    const char* wanted = protocol->subprotocol();
    const char* chosen = soup_websocket_connection_get_protocol(conn);
    if (wanted && (!chosen || std::string_view(chosen) != wanted)) {
      fail(std::string("the host did not select subprotocol ") + wanted);
      return;
    }
    // The host's pings are answered by libsoup itself; keep our own frames small.
    soup_websocket_connection_set_max_incoming_payload_size(conn, 1 << 20);
    handlers.push_back(g_signal_connect(conn, "message", G_CALLBACK(&Impl::on_message_cb), this));
    handlers.push_back(g_signal_connect(conn, "closed", G_CALLBACK(&Impl::on_closed_cb), this));
    handlers.push_back(g_signal_connect(conn, "error", G_CALLBACK(&Impl::on_error_cb), this));

    protocol->open_call(*this);
    phase = audio_frames ? Phase::kAudio : Phase::kHold;
    first_send_us = g_get_monotonic_time();
    send_due_frames();
  }

  void send_text(const std::string& text) override {
    if (is_open()) soup_websocket_connection_send_text(conn, text.c_str());
  }

  void send_binary(std::span<const uint8_t> bytes) override {
    if (is_open()) soup_websocket_connection_send_binary(conn, bytes.data(), bytes.size());
  }

  // --- sending audio --------------------------------------------------------------------

  int64_t frame_due_us(uint64_t index) const { return first_send_us + sent_bytes_to_us(index * opt.frame_bytes); }

  void fill_frame(uint64_t index) {
    std::span<uint8_t> out(frame_buf);
    const uint8_t silence = protocol->silence_byte();
    if (index >= audio_frames) {
      std::fill(out.begin(), out.end(), silence);
    } else if (opt.frame_source) {
      opt.frame_source(index, out);
    } else {
      size_t off = index * opt.frame_bytes;
      size_t n = std::min(opt.frame_bytes, opt.audio.size() - off);
      std::copy_n(opt.audio.begin() + off, n, out.begin());
      std::fill(out.begin() + n, out.end(), silence);
    }
  }

  // Channel 0 of the interleaved frame: the caller's track, which an echo sends back.
  std::span<const uint8_t> caller_track_of_frame() {
    if (opt.channels == 1) return frame_buf;
    const size_t sample = protocol->bytes_per_sample(), stride = sample * opt.channels;
    for (size_t i = 0, o = 0; i + stride <= frame_buf.size(); i += stride, o += sample)
      std::copy_n(frame_buf.begin() + i, sample, caller_track.begin() + o);
    return caller_track;
  }

  void send_frame(uint64_t index) {
    fill_frame(index);
    const auto timestamp_ms = static_cast<uint64_t>(sent_bytes_to_us(index * opt.frame_bytes) / 1000);
    protocol->send_audio(*this, index, timestamp_ms, frame_buf);
    if (opt.measure_latency) matcher.sent(caller_track_of_frame(), g_get_monotonic_time());
    ++result.frames_sent;
  }

  void send_due_frames() {
    send_timer = 0;
    const uint64_t total = audio_frames + hold_frames;
    const int64_t now = g_get_monotonic_time();
    while (next_frame < total && phase != Phase::kEnding && phase != Phase::kDone &&
           (!opt.realtime || frame_due_us(next_frame) <= now)) {
      send_frame(next_frame++);
      if (!opt.realtime && next_frame % 64 == 0 && next_frame < total) break;  // let the loop breathe
    }
    if (phase == Phase::kEnding || phase == Phase::kDone) return;
    if (next_frame < total) {
      schedule_send(opt.realtime ? frame_due_us(next_frame) : now);
      return;
    }
    // Audio done (in real time: once its last frame has "played"); a hold without silence
    // waits on top of that.
    int64_t end_us = opt.realtime ? frame_due_us(total) : now;
    if (!opt.hold_with_silence) end_us += static_cast<int64_t>(opt.hold_seconds * 1e6);
    if (end_us > now) {
      phase = Phase::kHold;
      after(end_us, [](Impl& self) { self.end_call(); });
    } else {
      end_call();
    }
  }

  void schedule_send(int64_t at) {
    after(at, [](Impl& self) { self.send_due_frames(); });
  }

  // Runs `then` at `at` on the send timer (one per call: sending, holding and hanging up are
  // never due at once).
  void after(int64_t at, void (*then)(Impl&)) {
    std::weak_ptr<Impl> weak = shared_from_this();
    send_timer = scheduler->schedule(at, [weak, then] {
      if (auto self = weak.lock()) {
        self->send_timer = 0;
        then(*self);
      }
    });
  }

  void end_call() {
    if (phase == Phase::kEnding || phase == Phase::kDone) return;
    phase = Phase::kEnding;
    if (send_timer) scheduler->cancel(send_timer);
    send_timer = 0;
    switch (opt.ending) {
      case CallEnding::kStop:
        hang_up();
        break;
      case CallEnding::kHoldOpen:
        arm_guard(opt.close_timeout_seconds, "close timed out");
        break;
      case CallEnding::kVanish:
        vanish();
        break;
    }
  }

  void hang_up() {
    if (protocol->send_hang_up(*this)) {
      arm_guard(opt.close_timeout_seconds, "close timed out");
      return;
    }
    // Hanging up by closing the socket: in real time, once what was received has played.
    const int64_t now = g_get_monotonic_time();
    const int64_t at = opt.realtime ? std::max(now, play_end_us) : now;
    if (at > now) return after(at, [](Impl& self) { self.close_normally(); });
    close_normally();
  }

  void close_normally() {
    if (is_open()) soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
    arm_guard(opt.close_timeout_seconds, "close timed out");
  }

  // Drops the TCP connection without a close frame, as a network failure would.
  void vanish() {
    GIOStream* io = soup_websocket_connection_get_io_stream(conn);
    result.close_code = SOUP_WEBSOCKET_CLOSE_ABNORMAL;
    vanished = true;
    for (gulong h : handlers) g_signal_handler_disconnect(conn, h);
    handlers.clear();
    g_io_stream_close(io, nullptr, nullptr);
    complete();
  }

  // --- receiving ------------------------------------------------------------------------

  static void on_message_cb(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    auto keep = self->shared_from_this();
    gsize len = 0;
    const auto* bytes = static_cast<const uint8_t*>(g_bytes_get_data(message, &len));
    self->on_message(type == SOUP_WEBSOCKET_DATA_TEXT
                         ? self->protocol->read_text(std::string_view(reinterpret_cast<const char*>(bytes), len))
                         : self->protocol->read_binary(std::span<const uint8_t>(bytes, len)));
  }

  void on_message(const HostMessage& m) {
    const int64_t now = g_get_monotonic_time();
    ++result.messages_received;
    const char* name = "other";
    switch (m.kind) {
      case HostMessage::Kind::kAudio:
        name = "media";
        on_media(m.audio, now);
        break;
      case HostMessage::Kind::kMark:
        name = "mark";
        on_mark(std::string(m.mark_name), now);
        break;
      case HostMessage::Kind::kClear:
        name = "clear";
        on_clear(now);
        break;
      case HostMessage::Kind::kClearMarks:
        name = "clearMarks";
        pending_marks.clear();
        arm_mark_timer();
        break;
      case HostMessage::Kind::kDisconnect:
        name = "disconnect";
        if (phase != Phase::kDone) {
          phase = Phase::kEnding;
          if (send_timer) scheduler->cancel(send_timer);
          send_timer = 0;
          close_normally();
        }
        break;
      case HostMessage::Kind::kOther:
        break;
      case HostMessage::Kind::kMalformed:
        ++result.unparsable_messages;
        break;
    }
    if (opt.keep_events) result.events.push_back({name, ms_since_open(now)});
  }

  void on_media(std::span<const uint8_t> audio, int64_t now) {
    ++result.frames_received;
    result.bytes_received += audio.size();
    if (opt.keep_received_audio) result.received_audio.insert(result.received_audio.end(), audio.begin(), audio.end());
    const int64_t starts_us =
        play_end_us > now ? play_end_us : now + static_cast<int64_t>(opt.playout_delay_seconds * 1e6);
    play_end_us = starts_us + track_bytes_to_us(audio.size());
    if (opt.measure_latency) {
      matcher.received(audio, now, [this](int64_t sent_us, int64_t at_us) {
        result.latency_ms.push_back((at_us - sent_us) / 1000.0);
        if (result.frames_matched++ == 0) result.first_echo_ms = (at_us - first_send_us) / 1000.0;
      });
    }
  }

  void on_mark(std::string name, int64_t now) {
    result.marks_received.push_back(name);
    if (pending_marks.size() >= protocol->max_pending_marks()) {
      ++result.marks_discarded;
      return;
    }
    const int64_t due = opt.realtime ? std::max(play_end_us, now) : now;
    pending_marks.push_back({std::move(name), due});
    arm_mark_timer();
  }

  void arm_mark_timer() {
    if (mark_timer) scheduler->cancel(mark_timer);
    mark_timer = 0;
    if (pending_marks.empty()) return;
    std::weak_ptr<Impl> weak = shared_from_this();
    mark_timer = scheduler->schedule(pending_marks.front().due_us, [weak] {
      auto self = weak.lock();
      if (!self) return;
      self->mark_timer = 0;
      const int64_t t = g_get_monotonic_time();
      while (!self->pending_marks.empty() && self->pending_marks.front().due_us <= t) {
        self->echo_mark(self->pending_marks.front().name, false);
        self->pending_marks.pop_front();
      }
      self->arm_mark_timer();
    });
  }

  void echo_mark(const std::string& name, bool cleared) {
    protocol->echo_mark(*this, name, cleared);
    result.marks_echoed.push_back(name);
    if (cleared) result.marks_cleared.push_back(name);
  }

  void on_clear(int64_t now) {
    ++result.clears_received;
    if (play_end_us > now)
      result.bytes_cleared += static_cast<uint64_t>((play_end_us - now) * track_bytes_per_second / kUsPerSecond);
    play_end_us = now;
    for (const auto& m : pending_marks) echo_mark(m.name, true);
    pending_marks.clear();
    arm_mark_timer();
  }

  static void on_error_cb(SoupWebsocketConnection*, GError* error, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    if (self->result.error.empty()) self->result.error = error->message;
  }

  static void on_closed_cb(SoupWebsocketConnection* c, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    auto keep = self->shared_from_this();
    self->result.close_code = soup_websocket_connection_get_close_code(c);
    if (const char* r = soup_websocket_connection_get_close_data(c)) self->result.close_reason = r;
    if (self->result.close_code == 0) self->result.close_code = SOUP_WEBSOCKET_CLOSE_ABNORMAL;
    self->complete();
  }

  void complete() {
    if (finished) return;
    finished = true;
    phase = Phase::kDone;
    cancel_timers();
    pending_marks.clear();
    // Defer: the callback may destroy the caller, and we may be inside a libsoup signal.
    std::weak_ptr<Impl> weak = shared_from_this();
    scheduler->schedule(0, [weak] {
      auto self = weak.lock();
      if (!self) return;
      self->drop_connection();
      if (self->on_done) {
        auto cb = std::move(self->on_done);
        cb(self->result);
      }
    });
  }
};

Caller::Caller(GMainContext* ctx, CallerOptions options) : impl_(std::make_shared<Impl>(ctx, std::move(options))) {}

Caller::~Caller() = default;

void Caller::start(DoneCallback on_done) { impl_->start(std::move(on_done)); }

void Caller::send_dtmf(const std::string& digit) {
  if (impl_->phase == Impl::Phase::kDone || !impl_->conn) return;
  impl_->protocol->send_dtmf(*impl_, digit);
}

void Caller::send_stop() {
  if (impl_->phase == Impl::Phase::kAudio || impl_->phase == Impl::Phase::kHold) impl_->end_call();
}

bool Caller::finished() const { return impl_->finished; }

const CallResult& Caller::result() const { return impl_->result; }

CallResult run_call(CallerOptions options) {
  GMainContext* ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  CallResult out;
  bool done = false;
  {
    Caller caller(ctx, std::move(options));
    caller.start([&](const CallResult& r) {
      out = r;
      done = true;
    });
    while (!done) g_main_context_iteration(ctx, TRUE);
  }
  // Let libsoup finish closing sockets it still holds.
  while (g_main_context_pending(ctx)) g_main_context_iteration(ctx, FALSE);
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
  return out;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  p = std::clamp(p, 0.0, 1.0);
  size_t idx = static_cast<size_t>(p * (values.size() - 1) + 0.5);
  return values[idx];
}

}  // namespace mediaflow::dial
