// DRAIN_LAME_DUCK_SECONDS: after SIGTERM a load balancer that probes /health needs a moment to
// stop sending new calls; during that window /health is already 503 but a call that still
// arrives is served, not refused. After it, new calls are refused 1001 as before.
#include "server/host_fixture.hpp"
#include "support/http_client.hpp"

#include <mediaflow/log.hpp>

#include <mutex>

#include <atomic>

namespace mediaflow::test {
namespace {

namespace tw = protocol::twilio;

TEST_F(HostTest, DuringTheLameDuckWindowHealthIs503ButANewCallIsStillServed) {
  config_.drain_lame_duck_seconds = 2;
  config_.drain_timeout_seconds = 5;
  ASSERT_NO_FATAL_FAILURE(start_host());
  std::atomic<bool> drained{false};
  const auto t0 = std::chrono::steady_clock::now();
  host_->begin_drain([&] { drained = true; });
  EXPECT_EQ(http_request(port(), "GET", "/health").status, 503) << "the balancer is told at once";

  RawWebSocket late;  // arrives inside the window: a real call
  ASSERT_EQ(late.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(late.send_text(start_message("echo")));
  auto sent = send_media(late, 5, 3);
  ASSERT_TRUE(late.send_text(tw::encode_stop(9, "MZ00000000000000000000000000000001", "AC", "CA")));
  std::vector<uint8_t> back;
  EXPECT_EQ(read_until_close(late, &back), 1000);
  EXPECT_EQ(back, sent);
  EXPECT_FALSE(drained.load()) << "no drain while the window lasts, even with no call left";

  std::this_thread::sleep_for(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(2300)
                                  ? std::chrono::milliseconds(2300) - (std::chrono::steady_clock::now() - t0)
                                  : std::chrono::milliseconds(0));
  RawWebSocket after;  // after the window: refused like any drain
  ASSERT_EQ(after.connect(port(), "/rtm/voice"), 101);
  EXPECT_EQ(after.wait_close(), 1001);
  EXPECT_TRUE(eventually([&] { return drained.load(); }));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST_F(HostTest, WithoutALameDuckWindowANewCallIsRefusedAtOnce) {
  config_.drain_timeout_seconds = 5;
  ASSERT_NO_FATAL_FAILURE(start_host());
  std::atomic<bool> drained{false};
  host_->begin_drain([&] { drained = true; });
  RawWebSocket late;
  ASSERT_EQ(late.connect(port(), "/rtm/voice"), 101);
  EXPECT_EQ(late.wait_close(), 1001);
  EXPECT_TRUE(eventually([&] { return drained.load(); }));
}

}  // namespace
}  // namespace mediaflow::test

namespace mediaflow::test {
namespace {

// One of a fleet: /health, /metrics and every log line name the host (INSTANCE_ID), never a call.
TEST_F(HostTest, HealthMetricsAndLogsCarryTheInstanceId) {
  config_.instance_id = "media-7";
  std::mutex m;
  std::string logs;
  log::set_sink([&](std::string_view line) {
    std::lock_guard lock(m);
    logs.append(line);
  });
  ASSERT_NO_FATAL_FAILURE(start_host());
  EXPECT_NE(http_request(port(), "GET", "/health").body.find("\"instance\":\"media-7\""), std::string::npos);
  EXPECT_NE(http_request(port(), "GET", "/metrics").body.find("mediaflow_instance_info{instance_id=\"media-7\"} 1"),
            std::string::npos);
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_message("echo")));
  ASSERT_TRUE(ws.send_text(protocol::twilio::encode_stop(2, "MZ00000000000000000000000000000001", "AC", "CA")));
  EXPECT_EQ(ws.wait_close(), 1000);
  host_->stop();
  log::set_sink({});
  log::set_instance("");
  std::lock_guard lock(m);
  ASSERT_NE(logs.find("call_started"), std::string::npos);
  std::size_t lines = 0, tagged = 0;
  for (std::size_t at = 0; at < logs.size();) {
    const std::size_t end = logs.find('\n', at);
    const std::string line = logs.substr(at, end - at);
    ++lines;
    if (line.find("\"instance\":\"media-7\"") != std::string::npos) ++tagged;
    at = end == std::string::npos ? logs.size() : end + 1;
  }
  EXPECT_EQ(tagged, lines) << logs;
}

}  // namespace
}  // namespace mediaflow::test
