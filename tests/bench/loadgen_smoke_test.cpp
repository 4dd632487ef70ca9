// The load generator's quick mode as a smoke test: correctness only (every frame of every call
// comes back, every call closes 1000), never speed.
#include "support/spawn.hpp"
#include "support/fake_twilio_host.hpp"
#include "support/host_process.hpp"
#include "support/paths.hpp"

#include <gtest/gtest.h>

#include <glib.h>

#include <regex>
#include <string>
#include <vector>

namespace mediaflow {
namespace {

using LoadgenRun = test::ProcessResult;

LoadgenRun run_loadgen(std::vector<std::string> args) {
  args.insert(args.begin(), (test::build_dir() / "mediaflow-loadgen").string());
  return test::run_process(args);
}

long long json_number(const std::string& text, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex("\"" + key + "\":(-?[0-9]+)"))) return -1;
  return std::stoll(m[1].str());
}

void expect_all_frames_back(const LoadgenRun& r) {
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(json_number(r.out, "calls"), 4) << r.out;
  EXPECT_EQ(json_number(r.out, "completed"), 4) << r.out;
  EXPECT_EQ(json_number(r.out, "frames_sent"), 4 * 100) << r.out;
  EXPECT_EQ(json_number(r.out, "frames_received"), 4 * 100) << r.out;
  EXPECT_EQ(json_number(r.out, "frames_matched"), 4 * 100) << r.out;
  EXPECT_EQ(json_number(r.out, "frames_lost"), 0) << r.out;
}

TEST(BenchLoadgen, QuickModeAgainstFakeHostGetsEveryFrameBack) {
  test::FakeTwilioHost host;
  expect_all_frames_back(run_loadgen({"--url", host.url(), "--quick", "--threads", "2"}));
  ASSERT_TRUE(host.wait_closed(4));
  auto calls = host.calls();
  ASSERT_EQ(calls.size(), 4u);
  // Each call sent its own audio (frames are unique per call).
  EXPECT_NE(calls[0].audio, calls[1].audio);
  EXPECT_EQ(calls[0].start.custom_parameters.at("pipeline"), "echo");
}

TEST(BenchLoadgen, QuickModeAgainstTheHostEchoPipeline) {
  auto host = test::start_host({{"MAX_CONCURRENT_CALLS", "20"}});
  ASSERT_TRUE(host);
  expect_all_frames_back(
      run_loadgen({"--url", host->ws_url(), "--host-pid", std::to_string(host->pid()), "--quick"}));
}

TEST(BenchLoadgen, BadArgumentsExitTwo) {
  EXPECT_EQ(run_loadgen({}).exit_code, 2);
  EXPECT_EQ(run_loadgen({"--url", "ws://127.0.0.1:1/rtm/voice", "--calls", "0"}).exit_code, 2);
  EXPECT_EQ(run_loadgen({"--url", "ws://x", "--spawn"}).exit_code, 2);
}

}  // namespace
}  // namespace mediaflow
