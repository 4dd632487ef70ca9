#include "loadgen/engine.hpp"

#include "loadgen/echo_tracker.hpp"
#include "loadgen/frame_pattern.hpp"
#include "loadgen/jambonz_call.hpp"
#include "loadgen/pacing.hpp"
#include "loadgen/ws_handshake.hpp"

#include <mediaflow/protocol/twilio_envelope.hpp>
#include <mediaflow/protocol/twilio_outbound.hpp>
#include <mediaflow/protocol/vendor_stamp.hpp>
#include <mediaflow/protocol/websocket_frame.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <limits>
#include <map>
#include <memory>

namespace mediaflow::bench {

namespace {

namespace ws = protocol::websocket;
namespace tw = protocol::twilio;

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr size_t kTwilioFrameBytes = 160;  // 20 ms of 8 kHz mu-law
constexpr size_t kMaxMessageBytes = 1 << 20;
constexpr int64_t kCloseHandshakeNs = 2'000'000'000;
constexpr size_t kReadBuffer = 64 * 1024;
constexpr int kMaxTimersPerRound = 1024;
constexpr int kMaxEvents = 1024;  // per wake: a starved loop still reads every socket each round

// kHangingUp: a jambonz call's audio is sent; it waits for the last echoes before it closes.
enum class Phase { kWaiting, kConnecting, kUpgrading, kAudio, kHangingUp, kStopSent, kClosing, kDone };

// How a call ends on purpose when it is one of LoadOptions::abnormal_every.
enum class Abnormal { kNone, kVanish, kCloseWithoutStop, kNoStart };

struct Call {
  unsigned index = 0;  // in the whole run
  Abnormal abnormal = Abnormal::kNone;
  int fd = -1;
  Phase phase = Phase::kWaiting;
  int64_t slot_ns = 0;
  int64_t connect_start_ns = 0;
  int64_t t0_ns = 0;
  int64_t deadline_ns = kNever;
  uint64_t next_frame = 0;
  uint64_t sequence = 0;
  uint32_t events = 0;  // current epoll interest
  ws::MaskKey mask{};
  std::string out;  // bytes not yet accepted by the socket
  size_t out_sent = 0;
  std::string http_in;
  std::string expected_accept;
  std::unique_ptr<ws::MessageReader> reader;
  std::unique_ptr<EchoTracker> echo;  // with match_echo, once open
  // outcome
  bool connected = false;
  bool timed_out = false;
  bool close_sent = false;
  bool close_received = false;
  uint16_t close_code = 0;
};

class Engine {
 public:
  Engine(const LoadOptions& o, const sockaddr_storage& addr, socklen_t addr_len,
         const std::vector<unsigned>& indices, int64_t start_ns)
      : o_(o), jambonz_(o.protocol == dial::CallProtocol::kJambonz),
        frame_bytes_(jambonz_ ? jambonz_frame_bytes(o.sample_rate) : kTwilioFrameBytes), headers_(o.headers),
        addr_(addr), addr_len_(addr_len), read_buf_(kReadBuffer), decode_buf_(8192) {
    if (jambonz_) headers_.emplace_back("Sec-WebSocket-Protocol", std::string(kJambonzSubprotocol));
    std::string error;
    url_ = *parse_ws_url(o.url, &error);  // checked by run_load
    frames_ = frames_for(o.duration_seconds);
    rng_ = static_cast<uint64_t>(monotonic_ns()) ^ (uint64_t{indices.empty() ? 0 : indices[0]} << 32);
    const int64_t ramp_ns = static_cast<int64_t>(o.ramp_seconds * 1e9);
    calls_.resize(indices.size());
    for (size_t i = 0; i < indices.size(); ++i) {
      calls_[i].index = indices[i];
      calls_[i].slot_ns = call_slot_ns(start_ns, ramp_ns, o.calls, indices[i]);
      const unsigned every = o.abnormal_every;
      if (every && indices[i] % every == every - 1) {
        constexpr Abnormal kKinds[] = {Abnormal::kVanish, Abnormal::kCloseWithoutStop, Abnormal::kNoStart};
        calls_[i].abnormal = kKinds[(indices[i] / every) % 3];
      }
    }
    remaining_ = calls_.size();
  }

  LoadStats run() {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) {
      for (auto& c : calls_) fail(c, std::string("epoll_create1: ") + std::strerror(errno));
      return std::move(stats_);
    }
    for (uint32_t i = 0; i < calls_.size(); ++i) set_deadline(i, calls_[i].slot_ns);
    std::array<epoll_event, kMaxEvents> events{};
    while (remaining_ > 0) {
      run_due_timers();
      if (remaining_ == 0) break;
      timespec wait{};
      timespec* timeout = nullptr;
      if (!heap_.empty()) {
        const int64_t left = std::max<int64_t>(0, heap_.front().first - monotonic_ns());
        wait.tv_sec = left / 1'000'000'000;
        wait.tv_nsec = left % 1'000'000'000;
        timeout = &wait;
      }
      const int n = epoll_pwait2(epoll_, events.data(), kMaxEvents, timeout, nullptr);
      if (n < 0 && errno != EINTR) {
        std::fprintf(stderr, "mediaflow-loadgen: epoll_pwait2: %s\n", std::strerror(errno));
        for (auto& c : calls_)
          if (c.phase != Phase::kDone) fail(c, "epoll failed");
        break;
      }
      for (int i = 0; i < n; ++i) on_io(calls_[events[i].data.u32], events[i].events);
    }
    close(epoll_);
    return std::move(stats_);
  }

 private:
  // --- timers: a min-heap of (deadline, call); an entry is stale when the call's deadline moved.
  using HeapEntry = std::pair<int64_t, uint32_t>;

  void set_deadline(uint32_t i, int64_t at) {
    calls_[i].deadline_ns = at;
    heap_.emplace_back(at, i);
    std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
  }
  void set_deadline(Call& c, int64_t at) { set_deadline(static_cast<uint32_t>(&c - calls_.data()), at); }

  // At most kMaxTimersPerRound per round, so a loop short of CPU alternates sending and
  // reading instead of sending everything due while echoes pile up unread.
  void run_due_timers() {
    int64_t now = monotonic_ns();
    for (int fired = 0; fired < kMaxTimersPerRound && !heap_.empty() && heap_.front().first <= now; ++fired) {
      std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
      const auto [at, i] = heap_.back();
      heap_.pop_back();
      Call& c = calls_[i];
      if (c.deadline_ns != at || c.phase == Phase::kDone) continue;
      c.deadline_ns = kNever;
      on_timer(c);
      now = monotonic_ns();
    }
  }

  void on_timer(Call& c) {
    switch (c.phase) {
      case Phase::kWaiting: start_connect(c); break;
      case Phase::kConnecting:
      case Phase::kUpgrading: fail(c, "connect timed out"); break;
      case Phase::kAudio: send_due_frames(c); break;
      case Phase::kHangingUp: hang_up(c); break;
      case Phase::kStopSent:
        // The host did not close in time: close ourselves.
        c.timed_out = true;
        send_close(c, ws::close_code::kNormal, "timeout");
        if (c.phase != Phase::kDone) {
          c.phase = Phase::kClosing;
          set_deadline(c, monotonic_ns() + kCloseHandshakeNs);
        }
        break;
      case Phase::kClosing: finish(c); break;
      case Phase::kDone: break;
    }
  }

  // --- connection -------------------------------------------------------------------------
  uint64_t random64() {
    uint64_t z = (rng_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  void start_connect(Call& c) {
    c.connect_start_ns = monotonic_ns();
    c.fd = socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return fail(c, std::string("socket: ") + std::strerror(errno));
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // The kernel's arrival time of what we read: a loadgen slow to read is not the host's delay.
    setsockopt(c.fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    if (connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_), addr_len_) != 0 && errno != EINPROGRESS)
      return fail(c, std::string("connect: ") + std::strerror(errno));
    c.phase = Phase::kConnecting;
    epoll_event ev{};
    ev.events = c.events = EPOLLOUT;
    ev.data.u32 = static_cast<uint32_t>(&c - calls_.data());
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev) != 0)
      return fail(c, std::string("epoll_ctl: ") + std::strerror(errno));
    set_deadline(c, c.connect_start_ns + static_cast<int64_t>(o_.connect_timeout_seconds * 1e9));
  }

  void on_connected(Call& c) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) return fail(c, std::string("connect: ") + std::strerror(err));
    std::array<uint8_t, 16> key_bytes{};
    for (size_t i = 0; i < key_bytes.size(); i += 8) {
      const uint64_t r = random64();
      std::memcpy(key_bytes.data() + i, &r, 8);
    }
    const std::string key = make_websocket_key(key_bytes);
    c.expected_accept = websocket_accept_for(key);
    c.out = build_upgrade_request(url_, key, headers_);
    c.phase = Phase::kUpgrading;
    flush(c);
  }

  void on_upgrade_bytes(Call& c, std::span<uint8_t> data) {
    c.http_in.append(reinterpret_cast<const char*>(data.data()), data.size());
    const UpgradeResponse r = parse_upgrade_response(c.http_in);
    if (r.state == UpgradeResponse::State::kIncomplete) return;
    if (r.state == UpgradeResponse::State::kMalformed) return fail(c, "malformed HTTP response");
    if (r.status != 101) return fail(c, "HTTP " + std::to_string(r.status));
    if (r.accept != c.expected_accept) return fail(c, "wrong Sec-WebSocket-Accept");
    // libwebsockets (mod_audio_fork) drops a server that does not select the subprotocol.
    if (jambonz_ && r.subprotocol != kJambonzSubprotocol) return fail(c, "subprotocol audio.jambonz.org not selected");
    on_open(c);
    if (c.phase == Phase::kDone || r.head_bytes == c.http_in.size()) return;
    std::string rest = c.http_in.substr(r.head_bytes);
    c.http_in.clear();
    on_frames(c, std::span<uint8_t>(reinterpret_cast<uint8_t*>(rest.data()), rest.size()));
  }

  void on_open(Call& c) {
    const int64_t now = monotonic_ns();
    c.connected = true;
    stats_.connect.add_ns(now - c.connect_start_ns);
    c.http_in.shrink_to_fit();
    c.reader = std::make_unique<ws::MessageReader>(ws::MessageReader::Role::kClient, kMaxMessageBytes);
    const uint64_t m = random64();
    std::memcpy(c.mask.data(), &m, c.mask.size());
    c.t0_ns = call_t0_ns(c.slot_ns, now);
    if (o_.match_echo && c.abnormal == Abnormal::kNone)
      c.echo = std::make_unique<EchoTracker>(c.index, frames_, c.t0_ns, frame_bytes_);
    if (c.abnormal == Abnormal::kNoStart) {
      // Upgraded, then silent: the host must not count it as a call; we vanish after a second.
      c.phase = Phase::kAudio;
      set_deadline(c, now + 1'000'000'000);
      return;
    }

    std::map<std::string, std::string> params = o_.custom_parameters;
    params["bench_t0_ns"] = std::to_string(c.t0_ns);
    params["bench_call"] = std::to_string(c.index);
    c.phase = Phase::kAudio;
    if (jambonz_) {
      send_text(c, jambonz_metadata(c.index, o_.sample_rate, std::move(params)));
    } else {
      tw::StartEvent start;
      start.stream_sid = stream_sid(c);
      start.call_sid = twilio_call_sid(c);
      start.account_sid = "AC00000000000000000000000000000000";
      start.tracks = {"inbound"};
      start.custom_parameters = std::move(params);
      start.media_format = {"audio/x-mulaw", 8000, 1};
      send_text(c, tw::encode_connected());
      send_text(c, tw::encode_start(++c.sequence, start));
    }
    if (c.phase == Phase::kAudio) set_deadline(c, frame_due_ns(c.t0_ns, 0));
  }

  // --- sending ----------------------------------------------------------------------------
  std::string& stream_sid(const Call& c) {
    char sid[40];
    std::snprintf(sid, sizeof sid, "MZ%032x", c.index + 1);
    stream_sid_.assign(sid);
    return stream_sid_;
  }

  static std::string twilio_call_sid(const Call& c) {
    char sid[40];
    std::snprintf(sid, sizeof sid, "CA%032x", c.index + 1);
    return sid;
  }

  void send_due_frames(Call& c) {
    if (c.abnormal == Abnormal::kNoStart) return end_abnormally(c);
    if (c.abnormal != Abnormal::kNone && c.next_frame >= frames_ / 2) return end_abnormally(c);
    int64_t now = monotonic_ns();
    while (c.next_frame < frames_ && frame_due_ns(c.t0_ns, c.next_frame) <= now) {
      send_frame(c, c.next_frame++, now);
      if (c.phase != Phase::kAudio) return;
      now = monotonic_ns();
    }
    if (c.next_frame < frames_) return set_deadline(c, frame_due_ns(c.t0_ns, c.next_frame));
    // All audio sent: hang up once its last frame has "played".
    const int64_t stop_at = frame_due_ns(c.t0_ns, frames_);
    if (stop_at > now) return set_deadline(c, stop_at);
    if (jambonz_) {
      // The host only flushes what it has when the caller closes: wait for the last echoes.
      c.phase = Phase::kHangingUp;
      if (!c.echo || c.echo->matched() == frames_) return hang_up(c);
      return set_deadline(c, stop_at + kHangUpGraceNs);
    }
    c.phase = Phase::kStopSent;
    send_text(c, tw::encode_stop(++c.sequence, stream_sid(c), "AC00000000000000000000000000000000", twilio_call_sid(c)));
    if (c.phase == Phase::kStopSent)
      set_deadline(c, monotonic_ns() + static_cast<int64_t>(o_.close_timeout_seconds * 1e9));
  }

  // jambonz ends a listen by closing 1000; the host answers the close.
  void hang_up(Call& c) {
    c.phase = Phase::kStopSent;
    send_close(c, ws::close_code::kNormal, "");
    if (c.phase == Phase::kStopSent)
      set_deadline(c, monotonic_ns() + static_cast<int64_t>(o_.close_timeout_seconds * 1e9));
  }

  void send_frame(Call& c, uint64_t k, int64_t now) {
    const int64_t due = frame_due_ns(c.t0_ns, k);
    stats_.pacing_lag.add_ns(now - due);
    std::array<uint8_t, kMaxPatternFrameBytes> buffer;
    const std::span<uint8_t> frame(buffer.data(), frame_bytes_);
    if (!o_.audio.empty()) {
      // The clip loops: frame k starts at byte k·frame_bytes modulo its length.
      const size_t len = o_.audio.size();
      const size_t start = static_cast<size_t>((k * frame_bytes_) % len);
      for (size_t i = 0; i < frame_bytes_; ++i) frame[i] = o_.audio[(start + i) % len];
    } else {
      fill_unique_frame(c.index, k, frame);
    }
    if (c.echo) c.echo->sent(k, now);
    if (c.abnormal == Abnormal::kNone) ++stats_.frames_sent;
    if (jambonz_) {
      send_message(c, ws::Opcode::kBinary, std::string_view(reinterpret_cast<const char*>(frame.data()), frame.size()));
      return;
    }
    send_text(c, tw::encode_inbound_media(++c.sequence, stream_sid(c), "inbound", k + 1,
                                          k * (kFrameNs / 1'000'000), frame));
  }

  void send_text(Call& c, std::string_view text) { send_message(c, ws::Opcode::kText, text); }

  void send_message(Call& c, ws::Opcode opcode, std::string_view payload) {
    if (c.close_sent) return;
    ws::append_frame(c.out, opcode, payload, &c.mask);
    flush(c);
  }

  void send_close(Call& c, uint16_t code, std::string_view reason) {
    if (c.close_sent) return;
    ws::append_close_frame(c.out, code, reason, &c.mask);
    c.close_sent = true;
    flush(c);
  }

  // Writes what the socket takes; waits for EPOLLOUT for the rest. A broken socket ends the call.
  void flush(Call& c) {
    while (c.out_sent < c.out.size()) {
      const ssize_t n = send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return broken(c, std::string("send: ") + std::strerror(errno));
    }
    const bool pending = c.out_sent < c.out.size();
    if (!pending) {
      c.out.clear();
      c.out_sent = 0;
      if (c.close_sent && c.close_received) return finish(c);
    }
    set_interest(c, EPOLLIN | (pending ? EPOLLOUT : 0u));
  }

  void set_interest(Call& c, uint32_t events) {
    if (c.events == events) return;
    epoll_event ev{};
    ev.events = c.events = events;
    ev.data.u32 = static_cast<uint32_t>(&c - calls_.data());
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  // --- receiving --------------------------------------------------------------------------
  void on_io(Call& c, uint32_t events) {
    if (c.phase == Phase::kDone) return;
    if (c.phase == Phase::kConnecting) {
      if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_connected(c);
      return;
    }
    if (events & EPOLLOUT) flush(c);
    if (c.phase != Phase::kDone && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) read_socket(c);
  }

  void read_socket(Call& c) {
    for (;;) {
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec)) * 2];
      iovec iov{read_buf_.data(), read_buf_.size()};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      const ssize_t n = recvmsg(c.fd, &msg, 0);
      if (n > 0) {
        arrival_ns_ = arrival_ns(msg);
        std::span<uint8_t> data(read_buf_.data(), static_cast<size_t>(n));
        if (c.phase == Phase::kUpgrading) on_upgrade_bytes(c, data);
        else on_frames(c, data);
        if (c.phase == Phase::kDone || static_cast<size_t>(n) < read_buf_.size()) return;
        continue;
      }
      if (n == 0) {
        if (c.phase == Phase::kUpgrading) return fail(c, "closed during upgrade");
        if (!c.close_received) c.close_code = 1006;  // no close frame: abnormal closure
        return finish(c);
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      return broken(c, std::string("recv: ") + std::strerror(errno));
    }
  }

  // When the newest bytes of this read reached the socket (SCM_TIMESTAMPNS, CLOCK_REALTIME,
  // mapped to CLOCK_MONOTONIC), or now when the kernel gave no stamp.
  int64_t arrival_ns(msghdr& msg) {
    const int64_t mono = read_ns_ = monotonic_ns();
    for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
      if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_TIMESTAMPNS) continue;
      timespec stamp{}, real{};
      std::memcpy(&stamp, CMSG_DATA(cm), sizeof stamp);
      clock_gettime(CLOCK_REALTIME, &real);
      const int64_t behind = (static_cast<int64_t>(real.tv_sec) - stamp.tv_sec) * 1'000'000'000 +
                             (real.tv_nsec - stamp.tv_nsec);
      return behind > 0 ? mono - behind : mono;
    }
    return mono;
  }

  void on_frames(Call& c, std::span<uint8_t> data) {
    if (c.close_received) return;  // nothing may follow a close frame
    auto err = c.reader->feed(data, [&](const ws::Message& m) { return on_message(c, m); });
    if (err && c.phase != Phase::kDone) {
      stats_.errors[std::string("protocol error: ") + err->reason]++;
      send_close(c, err->code, err->reason);
      if (c.phase != Phase::kDone) finish(c);
    }
  }

  bool on_message(Call& c, const ws::Message& m) {
    if (c.phase == Phase::kDone) return false;
    const std::string_view payload(reinterpret_cast<const char*>(m.payload.data()), m.payload.size());
    switch (m.opcode) {
      case ws::Opcode::kText: on_text(c, payload); break;
      case ws::Opcode::kPing:
        if (!c.close_sent) {
          ws::append_frame(c.out, ws::Opcode::kPong, payload, &c.mask);
          flush(c);
        }
        break;
      case ws::Opcode::kClose: {
        const auto close = ws::parse_close_payload(payload);
        c.close_code = close ? close->code : ws::close_code::kProtocolError;
        c.close_received = true;
        if (c.close_sent) {
          if (c.out_sent >= c.out.size()) finish(c);
        } else {
          // Answer with the same code (none → 1000), then close once it is written.
          const uint16_t code = c.close_code == ws::close_code::kNoStatus ? ws::close_code::kNormal : c.close_code;
          c.phase = Phase::kClosing;
          set_deadline(c, monotonic_ns() + kCloseHandshakeNs);
          send_close(c, code, "");
        }
        return false;
      }
      case ws::Opcode::kBinary:
        if (jambonz_) on_audio(c, m.payload);
        break;
      default: break;  // pong
    }
    return c.phase != Phase::kDone;
  }

  void on_text(Call& c, std::string_view text) {
    // Marks are echoed once the audio before them has played; ours plays at once.
    const bool echo_marks = c.phase == Phase::kAudio || c.phase == Phase::kHangingUp;
    if (jambonz_) {
      if (auto mark = jambonz_mark_played(text); mark && echo_marks) send_text(c, *mark);
      return;  // killAudio and clearMarks: nothing is buffered here
    }
    const tw::OutboundMessage msg = parser_.parse(text);
    if (msg.kind == tw::OutboundKind::kMark) {
      if (echo_marks) send_text(c, tw::encode_inbound_mark(++c.sequence, stream_sid(c), msg.mark_name));
      return;
    }
    if (msg.kind != tw::OutboundKind::kMedia) return;
    if (!c.echo && !o_.vendor_stamps) return on_audio(c, {});  // counted; nothing to look for in the audio
    const size_t max = tw::base64_decoded_max(msg.payload_base64.size());
    if (decode_buf_.size() < max) decode_buf_.resize(max);
    const auto n = tw::decode_base64(msg.payload_base64, decode_buf_);
    if (!n) return;
    on_audio(c, std::span<const uint8_t>(decode_buf_.data(), *n));
  }

  // Audio from the host (decoded, in the call's wire format).
  void on_audio(Call& c, std::span<const uint8_t> audio) {
    ++stats_.frames_received;
    const int64_t now = arrival_ns_;
    stats_.receive_lag.add_ns(read_ns_ - now);
    if (o_.vendor_stamps) {
      if (auto stamp = protocol::vendor_stamp::read_stamp(audio)) {
        ++stats_.vendor_stamped;
        stats_.vendor_latency.add_ns(now - static_cast<int64_t>(*stamp));
      }
    }
    if (!c.echo) return;
    c.echo->received(audio, now, [&](const EchoTracker::Match& m) {
      ++stats_.frames_matched;
      stats_.round_trip.add_ns(m.round_trip_ns);
      if (m.round_trip_ns > static_cast<int64_t>(kLateMs * 1e6)) ++stats_.frames_late;
      if (m.first) stats_.first_echo.add_ns(m.since_first_send_ns);
    });
    if (c.phase == Phase::kHangingUp && c.echo->matched() == frames_) hang_up(c);
  }

  // --- endings ----------------------------------------------------------------------------
  // Half-way through its audio (or a second after the upgrade, without `start`).
  void end_abnormally(Call& c) {
    if (c.abnormal == Abnormal::kCloseWithoutStop) {
      send_close(c, ws::close_code::kNormal, "bye");
      if (c.phase == Phase::kDone) return;
      c.phase = Phase::kClosing;
      return set_deadline(c, monotonic_ns() + kCloseHandshakeNs);
    }
    finish(c);  // the TCP connection just goes: no close frame
  }

  void broken(Call& c, const std::string& why) {
    if (c.connected && !c.close_received) c.close_code = 1006;
    fail(c, why);
  }

  void fail(Call& c, const std::string& why) {
    ++stats_.errors[why];
    finish(c);
  }

  void finish(Call& c) {
    if (c.phase == Phase::kDone) return;
    if (c.fd >= 0) close(c.fd);  // also leaves the epoll set
    c.fd = -1;
    c.phase = Phase::kDone;
    --remaining_;
    if (!c.connected) {
      ++stats_.refused;
    } else if (c.abnormal != Abnormal::kNone) {
      ++stats_.abnormal;
    } else {
      ++stats_.close_codes[c.close_code];
      if (c.timed_out) ++stats_.timed_out;
      if (c.close_code == ws::close_code::kNormal && c.close_received && !c.timed_out) ++stats_.completed;
    }
    // Free what a finished call holds (its reader may be mid-feed: it is released with calls_).
    std::string().swap(c.out);
    c.echo.reset();
  }

  const LoadOptions& o_;
  const bool jambonz_;
  const size_t frame_bytes_;  // 20 ms of the call's audio
  std::vector<std::pair<std::string, std::string>> headers_;  // of the upgrade request
  sockaddr_storage addr_;
  socklen_t addr_len_;
  WsUrl url_;
  uint64_t frames_ = 0;
  uint64_t rng_ = 0;
  int epoll_ = -1;
  std::vector<Call> calls_;
  size_t remaining_ = 0;
  std::vector<HeapEntry> heap_;
  std::vector<uint8_t> read_buf_;
  std::vector<uint8_t> decode_buf_;
  std::string stream_sid_;
  int64_t arrival_ns_ = 0;  // of the bytes being processed
  int64_t read_ns_ = 0;     // when they were read (recvmsg returned)
  tw::TwilioOutboundParser parser_;
  LoadStats stats_;
};

}  // namespace

LoadStats run_engine(const LoadOptions& options, const sockaddr_storage& address,
                     socklen_t address_len, const std::vector<unsigned>& calls, int64_t start_ns) {
  Engine engine(options, address, address_len, calls, start_ns);
  return engine.run();
}

}  // namespace mediaflow::bench
