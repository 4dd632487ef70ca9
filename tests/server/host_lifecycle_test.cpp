// Process-level lifecycle of `mediaflow serve` and per-call fault isolation: SIGHUP reloads
// pipeline files for new calls (a broken file is refused, the old version stays), a failing
// pipeline closes only its own call 1011, an unresponsive client is dropped by keepalive.
#include "server/host_fixture.hpp"
#include "support/host_process.hpp"
#include "support/test_files.hpp"

#include <csignal>
#include <fstream>

namespace mediaflow::test {
namespace {

namespace tw = protocol::twilio;

constexpr const char* kStreamSid = "MZ00000000000000000000000000000001";

// One echo call on `pipeline`: sends 3 frames, stops; returns the close code.
uint16_t echo_call(uint16_t port, const std::string& pipeline, std::vector<uint8_t>* back = nullptr) {
  RawWebSocket ws;
  if (ws.connect(port, "/rtm/voice") != 101) return 0;
  ws.send_text(HostTest::start_message(pipeline));
  HostTest::send_media(ws, 3, 5);
  ws.send_text(tw::encode_stop(9, kStreamSid, "AC", "CA"));
  std::vector<uint8_t> audio;
  const uint16_t code = HostTest::read_until_close(ws, back ? back : &audio);
  return code;
}

void write_file(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

bool log_has(const dial::HostProcess& host, const std::string& needle) {
  for (const auto& l : host.log_lines())
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

TEST(HostLifecycle, SighupReloadsPipelinesForNewCallsAndKeepsTheOldVersionOfABrokenFile) {
  TempDir dir;
  const std::string echo = slurp(source_dir() / "pipelines" / "echo.json");
  write_file(dir.path / "echo.json", echo);
  auto host = start_host({{"PIPELINES_DIR", dir.path.string()}});
  ASSERT_TRUE(host);
  const uint16_t port = uint16_t(host->port());
  EXPECT_EQ(echo_call(port, "echo"), 1000);
  EXPECT_EQ(echo_call(port, "echo2"), 1008) << "not there yet";

  // A new file appears; the echo file is broken (dangling link) at the same time.
  write_file(dir.path / "echo2.json", std::string(echo).replace(echo.find("\"echo\""), 6, "\"echo2\""));
  write_file(dir.path / "echo.json", std::string(echo).replace(echo.find("\"to\": \"back\""), 12, "\"to\": \"nowhere\""));
  ASSERT_EQ(::kill(host->pid(), SIGHUP), 0);
  ASSERT_TRUE(HostTest::eventually([&] { return log_has(*host, "pipelines_loaded") && log_has(*host, "pipeline_refused"); }));
  EXPECT_TRUE(log_has(*host, "echo.json:"));  // the refusal names file:line:col

  std::vector<uint8_t> back;
  EXPECT_EQ(echo_call(port, "echo", &back), 1000) << "the previous echo stays in service";
  EXPECT_EQ(back.size(), 3u * 160u);
  EXPECT_EQ(echo_call(port, "echo2"), 1000) << "the new file serves new calls";
  EXPECT_EQ(host->stop(), 0);
}

TEST(HostLifecycle, SigtermWithALiveCallDrainsThenExitsZero) {
  auto host = start_host({{"DRAIN_TIMEOUT_SECONDS", "1"}});
  ASSERT_TRUE(host);
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(uint16_t(host->port()), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(HostTest::start_message("echo")));
  HostTest::send_media(ws, 2, 1);
  ASSERT_EQ(::kill(host->pid(), SIGTERM), 0);
  std::vector<uint8_t> back;
  EXPECT_EQ(HostTest::read_until_close(ws, &back), 1001);
  EXPECT_EQ(back.size(), 2u * 160u);
  EXPECT_EQ(host->stop(), 0);
}

class HostFaultTest : public HostTest {
 protected:
  void SetUp() override {
    HostTest::SetUp();
    config_.pipelines_dir = pipelines_.path;
    std::filesystem::copy_file(source_dir() / "pipelines" / "echo.json", pipelines_.path / "echo.json");
    // Validates (the element and its properties exist) but fails when it starts: the file
    // cannot be opened.
    write_file(pipelines_.path / "broken.json", R"({
      "name": "broken",
      "nodes": [
        {"name": "src", "element": "twiliosrc"},
        {"name": "sink", "element": "filesink", "properties": {"location": "/nonexistent-dir/x/y.raw"}}
      ],
      "links": [{"from": "src", "to": "sink"}]
    })");
  }
  TempDir pipelines_;
};

TEST_F(HostFaultTest, AFailingPipelineClosesOnlyItsOwnCallWith1011) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  const auto errors = metrics().pipeline_errors().value();
  RawWebSocket good;
  ASSERT_EQ(good.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(good.send_text(start_message("echo")));
  auto sent1 = send_media(good, 3, 1);

  RawWebSocket bad;
  ASSERT_EQ(bad.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(bad.send_text(start_message("broken", "CA00000000000000000000000000000bad", "MZ00000000000000000000000000000bad")));
  EXPECT_EQ(bad.wait_close(), 1011);
  EXPECT_GT(metrics().pipeline_errors().value(), errors);

  auto sent2 = send_media(good, 3, 2, kStreamSid, 3);
  good.send_text(tw::encode_stop(20, kStreamSid, "AC", "CA"));
  std::vector<uint8_t> back;
  EXPECT_EQ(read_until_close(good, &back), 1000);
  sent1.insert(sent1.end(), sent2.begin(), sent2.end());
  EXPECT_EQ(back, sent1) << "the other call was not affected";
  EXPECT_TRUE(eventually([&] { return host_->active_calls() == 0; }));
}

TEST_F(HostTest, ClientThatStopsAnsweringPingsIsClosedAfterThePongDeadline) {
  config_.keepalive_interval_seconds = 1;
  config_.pong_timeout_seconds = 2;
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_message("echo")));
  // Read nothing (so pings go unanswered) for longer than the deadline.
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  auto f = ws.wait_close_frame(3000);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->close_code(), 1001);
  EXPECT_EQ(f->payload.substr(2), "keepalive timeout");
}

}  // namespace
}  // namespace mediaflow::test
