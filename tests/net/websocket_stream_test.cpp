// The one WebSocket engine (net::WebSocketStream) on its own: both roles over a socketpair on
// one loop, and against a raw peer for what only one side of a connection can see (the
// handshake phase, bytes that came with the upgrade, the drain after a protocol error, the
// close deadline). The host's and the vendor client's tests drive it through their wrappers.
#include <mediaflow/net/websocket_stream.hpp>

#include "support/loop_thread.hpp"
#include "support/wait_until.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace mediaflow::test {
namespace {

namespace ws = protocol::websocket;
using net::EpollDispatcher;
using net::WebSocketStream;
using Role = WebSocketStream::Role;

constexpr int kWaitMs = 5000;

// What a stream told its delegate, in order, readable from the test thread. Owned by the
// fixture, so it outlives the stream it records.
class Recorder final : public WebSocketStream::Delegate {
 public:
  WebSocketStream* stream = nullptr;  // set by make_stream()
  // Loop thread: runs on each piece of the handshake with all of it so far (e.g. to open()).
  std::function<void(WebSocketStream&, const std::string& handshake)> on_handshake;
  // Loop thread: runs on a protocol error (e.g. to close() the stream).
  std::function<void(WebSocketStream&, std::uint16_t code)> on_protocol_error;

  std::vector<std::string> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  bool has(const std::string& event) {
    const auto all = events();
    return std::find(all.begin(), all.end(), event) != all.end();
  }

 private:
  void add(std::string event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  void on_ws_text(std::string_view text, gint64) override { add("text:" + std::string(text)); }
  void on_ws_binary(std::span<const std::uint8_t> bytes, gint64) override {
    add("binary:" + std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  void on_ws_protocol_error(std::uint16_t code, const char*) override {
    add("error:" + std::to_string(code));
    if (on_protocol_error) on_protocol_error(*stream, code);
  }
  void on_ws_pong() override { add("pong"); }
  void on_ws_closed() override { add("closed"); }
  void on_ws_handshake_bytes(std::span<const std::uint8_t> bytes) override {
    add("handshake:" + std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    handshake_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (on_handshake) on_handshake(*stream, handshake_);
  }

  std::string handshake_;
  std::mutex mutex_;
  std::vector<std::string> events_;
};

// The other end of a socketpair, blocking, speaking frames by hand.
class RawPeer {
 public:
  // `stream_role`: the role of the stream at the other end, whose frames this peer reads.
  RawPeer(int fd, Role stream_role)
      : fd_(fd),
        reader_(stream_role == Role::kServer ? ws::MessageReader::Role::kClient : ws::MessageReader::Role::kServer,
                1 << 20) {}
  ~RawPeer() { close(); }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  // The next message of `opcode` (others are skipped); nullopt at the end or after the timeout.
  std::optional<std::string> wait_for(ws::Opcode opcode, int timeout_ms = kWaitMs) {
    for (;;) {
      while (!messages_.empty()) {
        auto [op, payload] = messages_.front();
        messages_.pop_front();
        if (op == opcode) return payload;
      }
      std::uint8_t buffer[4096];
      const ssize_t n = read_some(buffer, sizeof buffer, timeout_ms);
      if (n <= 0) return std::nullopt;
      auto error = reader_.feed(std::span<std::uint8_t>(buffer, static_cast<std::size_t>(n)), [&](const ws::Message& m) {
        messages_.emplace_back(m.opcode, std::string(reinterpret_cast<const char*>(m.payload.data()), m.payload.size()));
        return true;
      });
      if (error) return std::nullopt;
    }
  }
  std::string read_raw(std::size_t size, int timeout_ms = kWaitMs) {
    std::string out;
    char buffer[4096];
    while (out.size() < size) {
      const ssize_t n = read_some(buffer, std::min(sizeof buffer, size - out.size()), timeout_ms);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }
  // Reads and drops until the stream ends: 0 for an end of stream (FIN), the errno of a reset,
  // -1 when it did not end within the timeout.
  int read_until_end(int timeout_ms = kWaitMs) {
    char buffer[4096];
    for (;;) {
      const ssize_t n = read_some(buffer, sizeof buffer, timeout_ms);
      if (n == 0) return 0;
      if (n < 0) return errno == ETIMEDOUT ? -1 : errno;
    }
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  ssize_t read_some(void* buffer, std::size_t size, int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) {
      errno = ETIMEDOUT;
      return -1;
    }
    return ::read(fd_, buffer, size);
  }

  int fd_;
  ws::MessageReader reader_;
  std::deque<std::pair<ws::Opcode, std::string>> messages_;
};

std::string frame(ws::Opcode opcode, std::string_view payload, bool masked) {
  std::string out;
  const ws::MaskKey key{0x12, 0x34, 0x56, 0x78};
  ws::append_frame(out, opcode, payload, masked ? &key : nullptr);
  return out;
}

std::uint16_t code_of(const std::optional<std::string>& close_payload) {
  if (!close_payload) return 0;
  auto parsed = ws::parse_close_payload(*close_payload);
  return parsed ? parsed->code : 0;
}

class WebSocketStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_.run_sync([&] { dispatcher_ = EpollDispatcher::for_context(loop_.context()); });
    ASSERT_NE(dispatcher_, nullptr);
  }
  void TearDown() override {
    loop_.run_sync([&] {
      streams_.clear();
      dispatcher_.reset();
    });
  }

  // Two connected descriptors: the first for a stream, the second for a stream or a RawPeer.
  // Taken with std::tie, not a structured binding: the tests' lambdas capture both ends, which
  // C++20 allows but clang 14 (the sanitized preset's compiler) does not.
  static std::pair<int, int> socket_pair() {
    int fds[2] = {-1, -1};
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    return {fds[0], fds[1]};
  }
  Recorder& recorder() { return recorders_.emplace_back(); }
  // Loop thread: a stream on `fd` (taken over), recorded by `events`.
  WebSocketStream& make_stream(int fd, WebSocketStream::Options options, Recorder& events) {
    GSocket* socket = g_socket_new_from_fd(fd, nullptr);
    EXPECT_NE(socket, nullptr);
    streams_.push_back(std::make_unique<WebSocketStream>(*dispatcher_, options, socket));
    g_object_unref(socket);
    events.stream = streams_.back().get();
    return *streams_.back();
  }
  // Loop thread: the same, opened (no handshake) and started.
  WebSocketStream& open_stream(int fd, WebSocketStream::Options options, Recorder& events) {
    WebSocketStream& stream = make_stream(fd, options, events);
    stream.open();
    EXPECT_TRUE(stream.start(&events));
    return stream;
  }

  LoopThread loop_;
  std::shared_ptr<EpollDispatcher> dispatcher_;
  std::deque<Recorder> recorders_;  // outlive the streams
  std::vector<std::unique_ptr<WebSocketStream>> streams_;  // loop thread only
};

TEST_F(WebSocketStreamTest, ServerAndClientRolesTalkPingAndCloseCleanly) {
  int a = -1, b = -1;
  std::tie(a, b) = socket_pair();
  Recorder& server_events = recorder();
  Recorder& client_events = recorder();
  WebSocketStream* server = nullptr;
  WebSocketStream* client = nullptr;
  loop_.run_sync([&] {
    server = &open_stream(a, {.role = Role::kServer}, server_events);
    client = &open_stream(b, {.role = Role::kClient}, client_events);
    client->send_text("hello");
    const std::uint8_t bytes[] = {'b', 'i', 'n'};
    client->send_binary(bytes);
    client->send_ping();
  });
  ASSERT_TRUE(wait_until([&] { return server_events.has("binary:bin") && client_events.has("pong"); }, kWaitMs));
  loop_.run_sync([&] { server->send_text("welcome"); });
  ASSERT_TRUE(wait_until([&] { return client_events.has("text:welcome"); }, kWaitMs));
  loop_.run_sync([&] {
    client->close(ws::close_code::kNormal, "bye");
    EXPECT_EQ(client->state(), WebSocketStream::State::kClosing);
    EXPECT_FALSE(client->is_open());
  });
  ASSERT_TRUE(wait_until([&] { return server_events.has("closed") && client_events.has("closed"); }, kWaitMs));
  EXPECT_EQ(server_events.events(), (std::vector<std::string>{"text:hello", "binary:bin", "closed"}));
  EXPECT_EQ(client_events.events(), (std::vector<std::string>{"pong", "text:welcome", "closed"}));
  loop_.run_sync([&] {
    EXPECT_EQ(server->close_code(), ws::close_code::kNormal);
    EXPECT_EQ(server->close_reason(), "bye");
    EXPECT_EQ(client->close_code(), ws::close_code::kNormal);  // the echo: the code, no reason
    EXPECT_EQ(server->error(), "");
    EXPECT_EQ(client->error(), "");
    EXPECT_TRUE(server->is_closed());
  });
}

TEST_F(WebSocketStreamTest, EachRoleRefusesTheOtherRolesMaskingWith1002) {
  for (const Role role : {Role::kServer, Role::kClient}) {
    SCOPED_TRACE(role == Role::kServer ? "server" : "client");
    int a = -1, b = -1;
    std::tie(a, b) = socket_pair();
    RawPeer peer(b, role);
    Recorder& events = recorder();
    events.on_protocol_error = [](WebSocketStream& stream, std::uint16_t code) { stream.close(code, "bad frame"); };
    WebSocketStream* stream = nullptr;
    loop_.run_sync([&] {
      stream = &open_stream(a, {.role = role}, events);
    });
    // A server must be sent masked frames and a client unmasked ones: send the other kind.
    ASSERT_TRUE(peer.send(frame(ws::Opcode::kText, "wrong", /*masked=*/role == Role::kClient)));
    EXPECT_EQ(code_of(peer.wait_for(ws::Opcode::kClose)), ws::close_code::kProtocolError);
    if (role == Role::kServer) {
      // The host's rule: write side shut down, input drained until the peer is done.
      EXPECT_EQ(peer.read_until_end(), 0) << "a FIN, not a reset";
      EXPECT_FALSE(events.has("closed"));
      peer.close();
    }
    // A client ends as soon as its close frame is out: its owner hears of it at once.
    ASSERT_TRUE(wait_until([&] { return events.has("closed"); }, kWaitMs));
    EXPECT_EQ(events.events().front(), "error:1002");
    loop_.run_sync([&] {
      EXPECT_FALSE(stream->error().empty());
      EXPECT_EQ(stream->close_code(), ws::close_code::kAbnormal);  // no close frame came
    });
  }
}

TEST_F(WebSocketStreamTest, BytesThatCameWithTheUpgradeAreReadFirstAndFromTheLoop) {
  int a = -1, b = -1;
  std::tie(a, b) = socket_pair();
  RawPeer peer(b, Role::kServer);
  ASSERT_TRUE(peer.send(frame(ws::Opcode::kText, "second", true)));
  Recorder& events = recorder();
  loop_.run_sync([&] {
    auto& stream = make_stream(a, {.role = Role::kServer}, events);
    stream.open(frame(ws::Opcode::kText, "first", true));
    ASSERT_TRUE(stream.start(&events));
    EXPECT_TRUE(events.events().empty()) << "nothing is delivered from inside start()";
  });
  ASSERT_TRUE(wait_until([&] { return events.events().size() >= 2; }, kWaitMs));
  EXPECT_EQ(events.events(), (std::vector<std::string>{"text:first", "text:second"}));
}

TEST_F(WebSocketStreamTest, TheHandshakeIsRawBytesUntilOpenThenFramesFollowInOrder) {
  int a = -1, b = -1;
  std::tie(a, b) = socket_pair();
  RawPeer peer(b, Role::kClient);
  Recorder& events = recorder();
  events.on_handshake = [](WebSocketStream& stream, const std::string& answer) {
    const auto end = answer.find("\r\n\r\n");
    if (end != std::string::npos) stream.open(answer.substr(end + 4));
  };
  WebSocketStream* stream = nullptr;
  const std::string request = "GET / HTTP/1.1\r\n\r\n";
  loop_.run_sync([&] {
    stream = &make_stream(a, {.role = Role::kClient}, events);
    ASSERT_TRUE(stream->start(&events));
    stream->send_text("dropped: not open yet");
    stream->send_raw(request);
  });
  EXPECT_EQ(peer.read_raw(request.size()), request);
  ASSERT_TRUE(peer.send("HTTP/1.1 101 OK\r\n\r\n" + frame(ws::Opcode::kText, "behind", false) +
                        frame(ws::Opcode::kText, "after", false)));
  ASSERT_TRUE(wait_until([&] { return events.has("text:after"); }, kWaitMs));
  const auto all = events.events();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1], "text:behind");
  EXPECT_EQ(all[2], "text:after");
  loop_.run_sync([&] { stream->send_text("now open"); });
  EXPECT_EQ(peer.wait_for(ws::Opcode::kText), "now open");
}

// The host corks a call's socket for the rest of a loop iteration: frames wait (in order) and
// leave together at uncork(); close() uncorks first, so nothing sent before it is lost.
TEST_F(WebSocketStreamTest, CorkedFramesWaitAndLeaveTogetherAtUncorkOrClose) {
  int a = -1, b = -1;
  std::tie(a, b) = socket_pair();
  RawPeer peer(b, Role::kServer);
  Recorder& events = recorder();
  WebSocketStream* stream = nullptr;
  loop_.run_sync([&] {
    stream = &open_stream(a, {.role = Role::kServer}, events);
    stream->cork();
    stream->send_text("audio");
    stream->send_text("mark");
    EXPECT_TRUE(stream->corked());
    EXPECT_EQ(stream->backlog_bytes(), frame(ws::Opcode::kText, "audio", false).size() + frame(ws::Opcode::kText, "mark", false).size());
  });
  EXPECT_EQ(peer.read_raw(1, 100), "");  // nothing written while corked
  loop_.run_sync([&] {
    stream->uncork();
    EXPECT_FALSE(stream->corked());
    EXPECT_EQ(stream->backlog_bytes(), 0u);
  });
  const std::string both = frame(ws::Opcode::kText, "audio", false) + frame(ws::Opcode::kText, "mark", false);
  EXPECT_EQ(peer.read_raw(both.size()), both);
  loop_.run_sync([&] {
    stream->cork();
    stream->send_text("last");
    stream->close(ws::close_code::kNormal, "bye");
  });
  EXPECT_EQ(peer.wait_for(ws::Opcode::kText), "last");
  EXPECT_EQ(code_of(peer.wait_for(ws::Opcode::kClose)), ws::close_code::kNormal);
}

TEST_F(WebSocketStreamTest, AnUnansweredCloseEndsAtItsDeadline) {
  int a = -1, b = -1;
  std::tie(a, b) = socket_pair();
  RawPeer peer(b, Role::kClient);
  Recorder& events = recorder();
  WebSocketStream* stream = nullptr;
  loop_.run_sync([&] {
    stream = &open_stream(a, {.role = Role::kClient, .close_timeout_ms = 100}, events);
    stream->close(ws::close_code::kGoingAway, "going");
  });
  EXPECT_EQ(code_of(peer.wait_for(ws::Opcode::kClose)), ws::close_code::kGoingAway);
  ASSERT_TRUE(wait_until([&] { return events.has("closed"); }, kWaitMs));
  loop_.run_sync([&] {
    EXPECT_EQ(stream->error(), "no close frame from the server within 100 ms");
    EXPECT_EQ(stream->close_code(), ws::close_code::kAbnormal);
  });
}

TEST_F(WebSocketStreamTest, APeerThatVanishesIsReportedOnceWithoutACloseFrame) {
  int a = -1, b = -1;
  std::tie(a, b) = socket_pair();
  RawPeer peer(b, Role::kServer);
  Recorder& events = recorder();
  WebSocketStream* stream = nullptr;
  loop_.run_sync([&] { stream = &open_stream(a, {.role = Role::kServer}, events); });
  peer.close();
  ASSERT_TRUE(wait_until([&] { return events.has("closed"); }, kWaitMs));
  loop_.run_sync([&] {
    EXPECT_EQ(stream->error(), "the client closed the connection");
    EXPECT_EQ(stream->close_code(), ws::close_code::kAbnormal);
    stream->send_text("after the end");  // dropped, no callback
    stream->close(ws::close_code::kNormal, {});
  });
  EXPECT_EQ(events.events(), std::vector<std::string>{"closed"});
}

}  // namespace
}  // namespace mediaflow::test
