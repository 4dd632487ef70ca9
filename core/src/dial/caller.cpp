#include <mediaflow/dial/caller.hpp>

#include "dial/caller_protocol.hpp"
#include "dial/frame_matcher.hpp"

#include <mediaflow/net/epoll_dispatcher.hpp>
#include <mediaflow/net/websocket_client.hpp>
#include <mediaflow/protocol/websocket_frame.hpp>

#include <algorithm>
#include <deque>

namespace mediaflow::dial {

namespace {

namespace ws = protocol::websocket;

constexpr int64_t kUsPerSecond = 1000000;
constexpr unsigned kFramesPerSecond = 50;  // 20 ms frames

std::unique_ptr<CallerProtocol> make_protocol(const CallerOptions& options) {
  return options.protocol == CallProtocol::kJambonz ? make_jambonz_protocol(options) : make_twilio_protocol(options);
}

}  // namespace

const char* protocol_name(CallProtocol protocol) {
  return protocol == CallProtocol::kJambonz ? "jambonz" : "twilio";
}

// The WebSocket is the host's own engine in the client role (net::WebSocketClient, the one the
// vendor connections use), on the context's EpollDispatcher, whose timers pace the frames: a
// caller costs the loop no GSource of its own.
struct Caller::Impl final : std::enable_shared_from_this<Impl>, MessageSink {
  GMainContext* ctx;
  CallerOptions opt;
  std::unique_ptr<CallerProtocol> protocol;
  std::shared_ptr<net::EpollDispatcher> dispatcher;  // before the timers
  CallResult result;
  DoneCallback on_done;
  bool finished = false;

  std::shared_ptr<net::WebSocketClient> conn;

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
  net::EpollDispatcher::Timer send_timer;
  net::EpollDispatcher::Timer guard_timer;  // connect / close timeout
  net::EpollDispatcher::Timer done_timer;   // reports the result from the loop

  // Playback of what the host sends (the telephony side's buffer).
  int64_t play_end_us = 0;  // when everything received so far has played
  struct PendingMark {
    std::string name;
    int64_t due_us;
  };
  std::deque<PendingMark> pending_marks;
  net::EpollDispatcher::Timer mark_timer;

  FrameMatcher matcher;

  Impl(GMainContext* c, CallerOptions o)
      : ctx(g_main_context_ref(c ? c : g_main_context_default())), opt(std::move(o)), protocol(make_protocol(opt)),
        dispatcher(net::EpollDispatcher::for_context(ctx)), matcher(1) {}  // the matcher is sized in start()

  ~Impl() {
    cancel_timers();
    done_timer.cancel();
    drop_connection();
    g_main_context_unref(ctx);
  }

  void cancel_timers() {
    send_timer.cancel();
    guard_timer.cancel();
    mark_timer.cancel();
  }

  // An open connection is closed politely (1001): the client finishes the close handshake on
  // its own once we let go of it.
  void drop_connection() {
    if (!conn) return;
    conn->clear_callbacks();
    if (conn->is_open()) conn->close(ws::close_code::kGoingAway);
    conn.reset();
  }

  bool is_open() const { return conn && conn->is_open(); }
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

    if (!dispatcher) return fail("cannot create an epoll set");
    net::WebSocketClientOptions options;
    options.url = opt.url;
    options.headers.assign(opt.headers.begin(), opt.headers.end());
    if (const char* offered = protocol->subprotocol()) options.subprotocol = offered;
    options.connect_timeout_ms = 0;  // the guard below covers the whole opening
    options.close_timeout_ms = 2000;
    options.max_message_bytes = 1 << 20;  // far above any host message; keeps a broken host in check
    // Callbacks come from the loop, never from inside a call into the client.
    std::weak_ptr<Impl> weak = shared_from_this();
    net::WebSocketClientCallbacks callbacks;
    callbacks.opened = [weak] {
      if (auto self = weak.lock()) self->on_open();
    };
    callbacks.message = [weak](net::WebSocketMessageType type, std::string_view data) {
      if (auto self = weak.lock()) self->on_message(type, data);
    };
    callbacks.failed = [weak](const net::WebSocketConnectFailure& failure) {
      if (auto self = weak.lock()) {
        self->result.http_status = failure.http_status;
        self->fail(failure.message);
      }
    };
    callbacks.closed = [weak] {
      if (auto self = weak.lock()) self->on_closed();
    };
    connect_begin_us = g_get_monotonic_time();
    std::string why;
    g_main_context_push_thread_default(ctx);  // the client lives on the thread-default context
    conn = net::WebSocketClient::connect(std::move(options), std::move(callbacks), &why);
    g_main_context_pop_thread_default(ctx);
    if (!conn) return fail("bad URL: " + why);
    arm_guard(opt.connect_timeout_seconds, "connect timed out");
  }

  void arm_guard(double seconds, const char* why) {
    std::string reason = why;
    guard_timer.arm_at(*dispatcher, g_get_monotonic_time() + static_cast<int64_t>(seconds * 1e6),
                       [this, reason] { on_guard_expired(reason); });
  }

  void on_guard_expired(const std::string& why) {
    if (phase == Phase::kConnecting) {
      drop_connection();  // no callback from it any more
      return fail(why);
    }
    // The host did not close in time: close ourselves.
    result.timed_out = true;
    if (is_open()) {
      conn->close(ws::close_code::kNormal, "timeout");
      arm_guard(2, "close handshake timed out");
    } else {
      complete();
    }
  }

  void fail(const std::string& why) {
    result.error = why;
    complete();
  }

  void on_open() {
    result.connected = true;
    result.http_status = 101;
    open_us = g_get_monotonic_time();
    result.connect_ms = (open_us - connect_begin_us) / 1000.0;
    guard_timer.cancel();
    // A caller that asked for a subprotocol (jambonz's libwebsockets) drops a host that did not
    // select it. The host's pings are answered by the client itself.
    const char* wanted = protocol->subprotocol();
    if (wanted && conn->subprotocol() != wanted) {
      fail(std::string("the host did not select subprotocol ") + wanted);
      return;
    }

    protocol->open_call(*this);
    phase = audio_frames ? Phase::kAudio : Phase::kHold;
    first_send_us = g_get_monotonic_time();
    send_due_frames();
  }

  void send_text(const std::string& text) override {
    if (is_open()) conn->send_text(text);
  }

  void send_binary(std::span<const uint8_t> bytes) override {
    if (is_open()) conn->send_binary(bytes.data(), bytes.size());
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
    send_timer.arm_at(*dispatcher, at, [this, then] { then(*this); });
  }

  void end_call() {
    if (phase == Phase::kEnding || phase == Phase::kDone) return;
    phase = Phase::kEnding;
    send_timer.cancel();
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
    if (is_open()) conn->close(ws::close_code::kNormal);
    arm_guard(opt.close_timeout_seconds, "close timed out");
  }

  // Drops the TCP connection without a close frame, as a network failure would.
  void vanish() {
    result.close_code = ws::close_code::kAbnormal;
    conn.reset();  // dropped without a close handshake: the socket is closed as it is
    complete();
  }

  // --- receiving ------------------------------------------------------------------------

  void on_message(net::WebSocketMessageType type, std::string_view data) {
    if (finished) return;
    on_message(type == net::WebSocketMessageType::kText
                   ? protocol->read_text(data)
                   : protocol->read_binary({reinterpret_cast<const uint8_t*>(data.data()), data.size()}));
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
          send_timer.cancel();
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
    mark_timer.cancel();
    if (pending_marks.empty()) return;
    mark_timer.arm_at(*dispatcher, pending_marks.front().due_us, [this] {
      const int64_t t = g_get_monotonic_time();
      while (!pending_marks.empty() && pending_marks.front().due_us <= t) {
        echo_mark(pending_marks.front().name, false);
        pending_marks.pop_front();
      }
      arm_mark_timer();
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

  // The connection ended: the host's close code (1005 when its close frame had none, 1006 when
  // none came) and, when it ended on our side (protocol error, I/O error, close deadline), why.
  void on_closed() {
    result.close_code = conn->close_code();
    result.close_reason = conn->close_reason();
    if (result.error.empty()) result.error = conn->error();
    complete();
  }

  void complete() {
    if (finished) return;
    finished = true;
    phase = Phase::kDone;
    cancel_timers();
    pending_marks.clear();
    if (!dispatcher) {  // no loop to defer to (the epoll set could not be created): report now
      if (auto cb = std::move(on_done)) cb(result);
      return;
    }
    // Defer: the callback may destroy the caller, and we may be inside a client callback.
    std::weak_ptr<Impl> weak = shared_from_this();
    done_timer.arm_at(*dispatcher, 0, [weak] {
      auto self = weak.lock();  // held until the callback has returned
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
  // Let a close handshake still under way finish.
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
