// The host's own HTTP front end against abuse, over real loopback sockets: fd exhaustion,
// slowloris and idle connections, the pending-connection cap, keep-alive probes that must not
// leak descriptors, and the RFC 6455 handshake answers (426, 431, 400). Each of these failed
// on the libsoup 3.2 front end this replaced (docs/architecture.md, "Front end").
#include "server/host_fixture.hpp"
#include "support/host_process.hpp"
#include "support/http_client.hpp"
#include "support/raw_tcp.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace mediaflow::test {
namespace {

namespace tw = protocol::twilio;
using namespace std::chrono_literals;

const std::string kUpgradeHeaders =
    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

std::string ask(uint16_t port, const std::string& request, TcpClient::Received* received = nullptr) {
  TcpClient c(port);
  EXPECT_TRUE(c.connected());
  EXPECT_TRUE(c.send(request));
  auto r = c.read_until_close(5000);
  EXPECT_TRUE(r.ended) << "the answer must end the connection";
  if (received) *received = r;
  return r.bytes;
}

// A short echo call: the caller's audio comes back byte-exact and the call closes 1000.
void expect_echo_call(uint16_t port, const std::string& sid_suffix = "01") {
  const std::string stream = "MZ0000000000000000000000000000" + std::string(4 - sid_suffix.size(), '0') + sid_suffix;
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port, "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(HostTest::start_message("echo", "CA00000000000000000000000000000001", stream)));
  auto sent = HostTest::send_media(ws, 10, 3, stream);
  ASSERT_TRUE(ws.send_text(tw::encode_stop(20, stream, "AC", "CA")));
  std::vector<uint8_t> back;
  EXPECT_EQ(HostTest::read_until_close(ws, &back), 1000);
  EXPECT_EQ(back, sent);
}

TEST_F(HostTest, WrongWebSocketVersionIs426NamingVersion13) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  const std::string answer = ask(port(), "GET /rtm/voice HTTP/1.1\r\nHost: 127.0.0.1\r\n" + kUpgradeHeaders +
                                             "Sec-WebSocket-Version: 8\r\n\r\n");
  EXPECT_EQ(http_status(answer), 426) << answer;
  EXPECT_TRUE(http_has_header(answer, "Sec-WebSocket-Version", "13")) << answer;
  EXPECT_TRUE(http_has_header(answer, "Connection", "close")) << answer;
}

TEST_F(HostTest, MissingWebSocketKeyIs400) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  const std::string answer = ask(port(), "GET /rtm/voice HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                         "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n");
  EXPECT_EQ(http_status(answer), 400) << answer;
  EXPECT_EQ(host_->active_calls(), 0u);
}

TEST_F(HostTest, A64KiBRequestHeaderIs431NotAReset) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  TcpClient::Received r;
  const std::string answer =
      ask(port(), "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + std::string(64 * 1024, 'c') + "\r\n\r\n", &r);
  EXPECT_EQ(http_status(answer), 431) << answer.substr(0, 200);
  EXPECT_FALSE(r.reset) << "the answer must not be destroyed by a reset";
  EXPECT_TRUE(http_has_header(answer, "Server", "mediaflow"));
}

TEST_F(HostTest, HeadGetsTheHeadOfTheGetAnswerAndEveryAnswerClosesTheConnection) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  const std::string head = ask(port(), "HEAD /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(http_status(head), 200) << head;
  EXPECT_TRUE(http_has_header(head, "Connection", "close")) << head;
  EXPECT_TRUE(http_has_header(head, "Server", "mediaflow")) << head;
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n") << "HEAD answered with a body";
  const std::string chunked = ask(port(), "POST /twilio/voice HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(http_status(chunked), 411) << chunked;
}

TEST_F(HostTest, AFirstFramePipelinedWithTheUpgradeRequestReachesTheCall) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  // The upgrade request and a masked ping frame in one write: the pong must come back.
  TcpClient c(port());
  ASSERT_TRUE(c.connected());
  const std::string ping("\x89\x84\x01\x02\x03\x04" "\x71\x6b\x6e\x74", 10);  // payload "pimp" masked
  ASSERT_TRUE(c.send("GET /rtm/voice HTTP/1.1\r\nHost: 127.0.0.1\r\n" + kUpgradeHeaders +
                     "Sec-WebSocket-Version: 13\r\n\r\n" + ping));
  std::string got;
  ASSERT_TRUE(eventually([&] {
    auto r = c.read_until_close(50);
    got += r.bytes;
    return got.find("\x8a\x04pimp") != std::string::npos || r.ended;
  }, 5000));
  EXPECT_EQ(http_status(got), 101) << got;
  EXPECT_NE(got.find("\x8a\x04pimp"), std::string::npos) << "the pipelined ping was lost";
}

TEST_F(HostTest, KeepAliveHealthProbesThatTheClientClosesLeaveNoDescriptorBehind) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  // Warm up (first-use allocations, lazily opened files), then count.
  EXPECT_EQ(http_request(port(), "GET", "/health").status, 200);
  const int before = int(open_fds().size());
  for (int i = 0; i < 200; ++i) {
    TcpClient c(port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"));
    // Read the answer only up to its body, as a keep-alive client does, then hang up.
    std::string got;
    while (got.find("\"activeCalls\"") == std::string::npos) {
      auto r = c.read_until_close(20);
      got += r.bytes;
      if (r.ended) break;
    }
    ASSERT_EQ(http_status(got), 200) << got;
    c.close();
  }
  EXPECT_TRUE(eventually([&] { return int(open_fds().size()) <= before + 5; }, 5000))
      << "fds before " << before << ", after " << int(open_fds().size());
  EXPECT_TRUE(eventually([&] { return metrics().connections_pending().value() == 0; }));
}

class HostDeadlineTest : public HostTest {
 protected:
  void SetUp() override {
    HostTest::SetUp();
    config_.handshake_timeout_seconds = 1;
  }
};

TEST_F(HostDeadlineTest, SlowlorisAndIdleConnectionsAreClosedAtTheHandshakeDeadlineAndALiveCallGoesOn) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  auto& timeouts = metrics().connections_closed("handshake_timeout");
  const auto timeouts_before = timeouts.value();
  RawWebSocket call;
  ASSERT_EQ(call.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(call.send_text(start_message("echo")));

  TcpClient idle(port());
  TcpClient slow(port());
  ASSERT_TRUE(idle.connected() && slow.connected());
  const auto start = std::chrono::steady_clock::now();
  // One header byte every 300 ms, for as long as the host lets it.
  const std::string trickle = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(100, 'a');
  bool slow_cut = false;
  std::vector<uint8_t> sent, back;
  for (std::size_t i = 0; i < trickle.size() && !slow_cut; ++i) {
    if (!slow.send(trickle.substr(i, 1))) break;
    // The live call keeps talking meanwhile.
    auto f = send_media(call, 1, 5, "MZ00000000000000000000000000000001", int(i));
    sent.insert(sent.end(), f.begin(), f.end());
    slow_cut = slow.closed_by_server_within(300);
  }
  const auto slow_after = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(slow_cut) << "the slowloris connection was never closed";
  EXPECT_LT(slow_after, 3500ms);
  EXPECT_GE(slow_after, 900ms);
  EXPECT_TRUE(idle.closed_by_server_within(1000)) << "the idle connection was not closed";
  EXPECT_TRUE(eventually([&] { return timeouts.value() >= timeouts_before + 2; }));

  // The call was not disturbed: every frame came back, and it ends normally.
  ASSERT_TRUE(call.send_text(tw::encode_stop(999, "MZ00000000000000000000000000000001", "AC", "CA")));
  EXPECT_EQ(read_until_close(call, &back), 1000);
  EXPECT_EQ(back, sent);
}

class HostPendingCapTest : public HostTest {
 protected:
  void SetUp() override {
    HostTest::SetUp();
    config_.max_pending_connections = 3;
    config_.handshake_timeout_seconds = 60;
  }
};

TEST_F(HostPendingCapTest, TheConnectionAboveTheCapIsRefusedAtOnceAndUpgradedCallsDoNotCount) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket call;  // upgraded: not pending
  ASSERT_EQ(call.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(call.send_text(start_message("echo")));
  // The call's connection counts as pending until the worker that upgraded it has handed it
  // over, which can be just after the 101 reached us: an idle connection accepted by another
  // worker in between would be shed (seen once in CI at -j8 beside a compile).
  ASSERT_TRUE(eventually([&] { return metrics().connections_pending().value() == 0; }));
  auto& shed = metrics().connections_shed("pending_cap");
  const auto shed_before = shed.value();

  std::vector<std::unique_ptr<TcpClient>> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(std::make_unique<TcpClient>(port()));
  ASSERT_TRUE(eventually([&] { return metrics().connections_pending().value() == 3; }));
  TcpClient extra(port());
  ASSERT_TRUE(extra.connected());
  auto r = extra.read_until_close(2000);
  EXPECT_TRUE(r.ended) << "the connection above the cap was kept";
  EXPECT_EQ(http_status(r.bytes), 503) << r.bytes;
  // Counted by the worker that shed it, which may run after this client has read the close.
  EXPECT_TRUE(eventually([&] { return shed.value() == shed_before + 1; })) << shed.value() - shed_before;

  // The live call goes on, and once the idle ones are gone new requests are served again.
  auto sent = send_media(call, 5, 9);
  ASSERT_TRUE(call.send_text(tw::encode_stop(99, "MZ00000000000000000000000000000001", "AC", "CA")));
  std::vector<uint8_t> back;
  EXPECT_EQ(read_until_close(call, &back), 1000);
  EXPECT_EQ(back, sent);
  idle.clear();
  ASSERT_TRUE(eventually([&] { return metrics().connections_pending().value() == 0; }));
  EXPECT_EQ(http_request(port(), "GET", "/health").status, 200);
}

// The value of one sample line of a Prometheus text page, or -1.
long long sample_value(const std::string& page, const std::string& series) {
  const auto at = page.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::atoll(page.c_str() + at + series.size() + 2);
}

TEST(HostFrontEnd, TheAcceptLoopSurvivesDescriptorExhaustionShedsAndRecoversByItself) {
  auto host = start_host({{"WORKERS", "1"}, {"HANDSHAKE_TIMEOUT_SECONDS", "60"}});
  ASSERT_TRUE(host);
  const uint16_t port = static_cast<uint16_t>(host->port());
  ASSERT_EQ(http_request(port, "GET", "/health").status, 200);
  // Leave the host 8 free descriptor numbers below its new limit (RLIMIT_NOFILE bounds the
  // numbers, not the count, so gaps below the limit are free slots too).
  const std::vector<int> in_use = open_fds(host->pid());
  ASSERT_FALSE(in_use.empty());
  int soft = 0;
  while (soft - int(std::count_if(in_use.begin(), in_use.end(), [&](int fd) { return fd < soft; })) < 8) ++soft;
  rlimit limit{};
  ASSERT_EQ(prlimit(host->pid(), RLIMIT_NOFILE, nullptr, &limit), 0);
  const rlimit low{rlim_t(soft), limit.rlim_max};
  ASSERT_EQ(prlimit(host->pid(), RLIMIT_NOFILE, &low, nullptr), 0);

  // Idle connections take every descriptor left; the ones after them must be answered
  // (503, or at least closed), never left hanging in the backlog.
  std::vector<std::unique_ptr<TcpClient>> idle;
  for (int i = 0; i < 12; ++i) idle.push_back(std::make_unique<TcpClient>(port));
  std::this_thread::sleep_for(300ms);
  int shed = 0;
  for (int i = 0; i < 5; ++i) {
    TcpClient c(port);
    ASSERT_TRUE(c.connected());
    c.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    auto r = c.read_until_close(3000);
    EXPECT_TRUE(r.ended) << "a connection hung while the host was out of descriptors";
    if (http_status(r.bytes) == 503) ++shed;
  }
  EXPECT_GT(shed, 0) << "nothing was shed: the limit was not reached";

  // Free the descriptors: the host serves again by itself and counted what happened.
  idle.clear();
  ASSERT_EQ(prlimit(host->pid(), RLIMIT_NOFILE, &limit, nullptr), 0);
  HttpResponse health;
  EXPECT_TRUE(HostTest::eventually([&] {
    health = http_request(port, "GET", "/health");
    return health.status == 200;
  }, 5000));
  const std::string page = http_request(port, "GET", "/metrics").body;
  EXPECT_GE(sample_value(page, "mediaflow_accept_errors_total{reason=\"emfile\"}"), 1) << page;
  EXPECT_GE(sample_value(page, "mediaflow_connections_shed_total{reason=\"fd_exhaustion\"}"), 1) << page;
  ASSERT_NO_FATAL_FAILURE(expect_echo_call(port));
  int started = 0, ended = 0;
  for (const auto& line : host->log_lines()) {
    started += line.find("\"fd_exhaustion_started\"") != std::string::npos;
    ended += line.find("\"fd_exhaustion_ended\"") != std::string::npos;
  }
  EXPECT_GE(started, 1);
  EXPECT_LE(started, 3) << "one log line per state change, not per error";
  EXPECT_GE(ended, 1);
}

}  // namespace
}  // namespace mediaflow::test
