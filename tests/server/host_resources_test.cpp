// What a host that runs for weeks relies on: a call gives back everything it took (its
// pipeline, its file descriptors) whatever way it ends; a socket is not a call until `start`;
// a caller cannot make the host process audio faster than real time.
#include "server/host_fixture.hpp"
#include "support/test_files.hpp"

#include <dirent.h>

namespace mediaflow::test {
namespace {

namespace tw = protocol::twilio;
constexpr const char* kStreamSid = "MZ00000000000000000000000000000001";

std::size_t open_fds() {
  std::size_t n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

enum class Ending { kStop, kVanish, kUnknownPipeline, kClientClose };

// One call on `pipeline` that ends the given way; waits until the host has let it go.
void one_call(uint16_t port, const std::string& pipeline, Ending ending, int index) {
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port, "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(HostTest::start_message(ending == Ending::kUnknownPipeline ? "no-such-pipeline" : pipeline)));
  HostTest::send_media(ws, 5, uint8_t(index));
  switch (ending) {
    case Ending::kStop:
      ASSERT_TRUE(ws.send_text(tw::encode_stop(9, kStreamSid, "AC", "CA")));
      EXPECT_EQ(ws.wait_close(8000), 1000);
      break;
    case Ending::kVanish:
      ws.close_socket();
      break;
    case Ending::kUnknownPipeline:
      EXPECT_EQ(ws.wait_close(8000), 1008);
      break;
    case Ending::kClientClose:
      ASSERT_TRUE(ws.send_frame(8, std::string("\x03\xe8", 2)));  // close 1000 without stop
      ws.wait_close(8000);
      break;
  }
}

class HostResourcesTest : public HostTest {
 protected:
  void SetUp() override {
    HostTest::SetUp();
    config_.recordings_dir = recordings_.path;
  }
  TempDir recordings_;
};

TEST_F(HostResourcesTest, CallsGiveBackTheirPipelinesAndFileDescriptorsHoweverTheyEnd) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  // Warm-up: the first call creates process-wide things (registry, writer threads, caches).
  one_call(port(), "record", Ending::kStop, 0);
  one_call(port(), "echo", Ending::kStop, 0);
  ASSERT_TRUE(eventually([&] { return host_->active_calls() == 0 && metrics().pipelines_live().value() == 0; }, 10000))
      << "live pipelines after warm-up: " << metrics().pipelines_live().value();
  const std::size_t fds_before = open_fds();

  const Ending endings[] = {Ending::kStop, Ending::kVanish, Ending::kUnknownPipeline, Ending::kClientClose};
  constexpr int kCalls = 40;
  for (int i = 0; i < kCalls; ++i) {
    SCOPED_TRACE(i);
    ASSERT_NO_FATAL_FAILURE(one_call(port(), i % 2 ? "echo" : "record", endings[i % 4], i));
  }
  EXPECT_TRUE(eventually([&] { return host_->active_calls() == 0; }, 10000));
  EXPECT_TRUE(eventually([&] { return metrics().pipelines_live().value() == 0; }, 10000))
      << metrics().pipelines_live().value() << " pipelines still alive after " << kCalls << " calls";
  // Two fds per leaked pipeline (its bus's socketpair) made this grow by 2 per call.
  EXPECT_TRUE(eventually([&] { return open_fds() <= fds_before + 2; }, 10000))
      << "fds " << fds_before << " -> " << open_fds() << " after " << kCalls << " calls";
}

TEST_F(HostResourcesTest, SocketsThatNeverSendStartHoldNoCallSlot) {
  config_.max_concurrent_calls = 5;
  config_.start_timeout_seconds = 30;  // they stay connected for the whole test
  ASSERT_NO_FATAL_FAILURE(start_host());
  std::vector<std::unique_ptr<RawWebSocket>> silent;
  for (int i = 0; i < 5; ++i) {
    silent.push_back(std::make_unique<RawWebSocket>());
    ASSERT_EQ(silent.back()->connect(port(), "/rtm/voice"), 101);
  }
  ASSERT_TRUE(eventually([&] { return metrics().connections_awaiting_start().value() == 5; }));
  EXPECT_EQ(host_->active_calls(), 0u);
  // A real call still gets through.
  RawWebSocket call;
  ASSERT_EQ(call.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(call.send_text(start_message("echo")));
  auto sent = send_media(call, 5, 7);
  ASSERT_TRUE(call.send_text(tw::encode_stop(9, kStreamSid, "AC", "CA")));
  std::vector<uint8_t> back;
  EXPECT_EQ(read_until_close(call, &back), 1000);
  EXPECT_EQ(back, sent);
}

TEST_F(HostResourcesTest, AConnectionWithoutStartIsClosedAtTheStartTimeoutAndNotCountedAsACall) {
  config_.start_timeout_seconds = 1;
  ASSERT_NO_FATAL_FAILURE(start_host());
  const auto timeouts_before = metrics().connections_without_start("start_timeout").value();
  const auto calls_before = metrics().calls_total("start_timeout").value();
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  auto f = ws.wait_close_frame(5000);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->close_code(), 1008);
  EXPECT_EQ(f->payload.substr(2), "no start");
  EXPECT_TRUE(eventually([&] { return metrics().connections_without_start("start_timeout").value() == timeouts_before + 1; }));
  EXPECT_EQ(metrics().calls_total("start_timeout").value(), calls_before);
  EXPECT_TRUE(eventually([&] { return metrics().connections_awaiting_start().value() == 0; }));
}

TEST_F(HostResourcesTest, AtCapacityTheCallIsRefused1013AtItsStartAndCountedByScope) {
  config_.max_concurrent_calls = 1;
  ASSERT_NO_FATAL_FAILURE(start_host());
  const auto refused_before = metrics().calls_refused("host").value();
  RawWebSocket first, second;
  ASSERT_EQ(first.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(first.send_text(start_message("echo")));
  ASSERT_TRUE(eventually([&] { return host_->active_calls() == 1; }));
  ASSERT_EQ(second.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(second.send_text(start_message("echo", "CA00000000000000000000000000000002", "MZ00000000000000000000000000000002")));
  EXPECT_EQ(second.wait_close(), 1013);
  EXPECT_EQ(metrics().calls_refused("host").value(), refused_before + 1);
  EXPECT_EQ(host_->active_calls(), 1u);
}

TEST_F(HostResourcesTest, AudioFasterThanRealTimeBeyondTheAllowanceIsDroppedAndCounted) {
  config_.inbound_media_allowance_ms = 1000;
  ASSERT_NO_FATAL_FAILURE(start_host());
  auto& dropped = metrics().frames_dropped("faster_than_realtime");
  const auto dropped_before = dropped.value();
  const auto in_before = metrics().frames_in().value();
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_message("echo")));
  // 10 s of audio at once: about 1 s (the allowance) plus the time it takes to send is taken.
  const auto t0 = std::chrono::steady_clock::now();
  send_media(ws, 500, 3);
  ASSERT_TRUE(eventually([&] { return metrics().frames_in().value() + dropped.value() >= in_before + dropped_before + 500; }));
  const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto taken = metrics().frames_in().value() - in_before;
  EXPECT_GE(taken, 50u);                                            // the allowance
  EXPECT_LE(double(taken), 50 + (elapsed_s + 0.1) * 50 + 1);        // + real time elapsed
  EXPECT_EQ(dropped.value() - dropped_before, 500 - taken);
  // A caller back at real time is served again.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const auto in_mid = metrics().frames_in().value();
  send_media(ws, 5, 4, kStreamSid, 500);
  EXPECT_TRUE(eventually([&] { return metrics().frames_in().value() == in_mid + 5; }));
}

}  // namespace
}  // namespace mediaflow::test
