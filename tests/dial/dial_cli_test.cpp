// `mediaflow dial` as a user runs it: the real binary against the fake Twilio-side and
// jambonz-side hosts.
#include "support/spawn.hpp"
#include "support/fake_fork_host.hpp"
#include "support/fake_twilio_host.hpp"
#include "support/paths.hpp"

#include <mediaflow/protocol/jambonz_metadata.hpp>

#include <gtest/gtest.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace mediaflow {
namespace {

using DialRun = test::ProcessResult;

DialRun run_dial(std::vector<std::string> args) {
  args.insert(args.begin(), {test::mediaflow_binary().string(), "dial"});
  return test::run_process(args);
}

std::filesystem::path temp_dir() {
  gchar* d = g_dir_make_tmp("dial-cli-XXXXXX", nullptr);
  std::filesystem::path p = d;
  g_free(d);
  return p;
}

TEST(DialCli, ToneCallEchoedAndWrittenAsWav) {
  test::FakeTwilioHost host;
  auto dir = temp_dir();
  auto wav = dir / "back.wav";
  DialRun r = run_dial({host.url(), "--tone-hz", "440", "--seconds", "0.5", "--fast", "--param",
                    "pipeline=echo", "--out", wav.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("frames sent 25, received 25"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("round trip (25 frames matched)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("closed 1000"), std::string::npos) << r.out;
  ASSERT_TRUE(host.wait_closed(1));
  auto c = host.calls().at(0);
  EXPECT_EQ(c.start.custom_parameters.at("pipeline"), "echo");
  EXPECT_EQ(c.start.call_sid.rfind("CA", 0), 0u);
  EXPECT_EQ(c.start.call_sid.size(), 34u);
  EXPECT_EQ(c.audio.size(), 4000u);
  // 0.5 s of PCM16 8 kHz mono after a 44-byte RIFF header.
  ASSERT_TRUE(std::filesystem::exists(wav));
  EXPECT_EQ(std::filesystem::file_size(wav), 44u + 8000u);
  std::filesystem::remove_all(dir);
}

TEST(DialCli, WavFileIsResampledToMulaw) {
  auto dir = temp_dir();
  auto in = dir / "in.wav";
  // 16 kHz stereo, 0.4 s: the dialer must convert it to 8 kHz mono mu-law.
  std::string launch = "gst-launch-1.0 -q audiotestsrc num-buffers=4 samplesperbuffer=1600 ! "
                       "audio/x-raw,format=S16LE,rate=16000,channels=2 ! wavenc ! filesink location=" +
                       in.string();
  ASSERT_EQ(std::system(launch.c_str()), 0);
  test::FakeTwilioHost host;
  DialRun r = run_dial({host.url(), "--wav", in.string(), "--fast", "--track", "both"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(host.wait_closed(1));
  auto c = host.calls().at(0);
  EXPECT_EQ(c.audio.size(), 3200u);  // 0.4 s at 8 kHz, 20 frames
  EXPECT_EQ(c.start.tracks, (std::vector<std::string>{"inbound", "outbound"}));
  std::filesystem::remove_all(dir);
}

TEST(DialCli, RefusedCallExitsOneWithTheStatus) {
  test::FakeHostBehaviour b;
  b.required_token = "tok";
  test::FakeTwilioHost host(b);
  DialRun refused = run_dial({host.url(), "--seconds", "0.1", "--fast"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.out.find("HTTP 401"), std::string::npos) << refused.out;
  DialRun accepted = run_dial({host.url(), "--seconds", "0.1", "--fast", "--token", "tok"});
  EXPECT_EQ(accepted.exit_code, 0) << accepted.out << accepted.err;
  DialRun header = run_dial({host.url(), "--seconds", "0.1", "--fast", "--header", "x-media-auth=tok"});
  EXPECT_EQ(header.exit_code, 0) << header.out << header.err;
  ASSERT_TRUE(host.wait_closed(2));
  EXPECT_EQ(host.calls().at(0).path, "/rtm/voice/jwt/tok");
}

TEST(DialCli, HostThatNeverClosesIsAFailure) {
  test::FakeHostBehaviour b;
  b.close_on_stop = false;
  test::FakeTwilioHost host(b);
  DialRun r = run_dial({host.url(), "--seconds", "0.1", "--fast", "--timeout", "0.3"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("did not close"), std::string::npos) << r.out;
}

// --protocol jambonz: the metadata frame at the asked rate and mix, binary PCM frames, the echo
// of the caller's channel written as a WAV at the call's rate.
TEST(DialCli, JambonzStereoToneCallEchoedAndWrittenAsWav) {
  test::FakeForkHost host;
  auto dir = temp_dir();
  auto wav = dir / "back.wav";
  DialRun r = run_dial({host.url(), "--protocol", "jambonz", "--rate", "16000", "--stereo", "--seconds", "0.5",
                        "--param", "pipeline=echo", "--out", wav.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("frames sent 25, received 25"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("round trip (25 frames matched)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("closed 1000"), std::string::npos) << r.out;
  ASSERT_TRUE(host.wait_closed(1));
  const auto c = host.calls().at(0);
  const auto m = protocol::jambonz::read_call_metadata(c.metadata);
  ASSERT_TRUE(m.ok()) << c.metadata;
  EXPECT_EQ(m.metadata.sample_rate, 16000u);
  EXPECT_EQ(m.metadata.mix_type, protocol::jambonz::MixType::kStereo);
  EXPECT_EQ(m.metadata.params.at("pipeline"), "echo");
  EXPECT_EQ(m.metadata.call_sid.size(), 36u) << "a UUID: " << m.metadata.call_sid;
  EXPECT_EQ(c.frame_bytes, std::vector<size_t>(25, 1280));
  // The callee's channel is silent.
  for (size_t i = 2; i + 1 < c.audio.size(); i += 4) ASSERT_EQ(c.audio[i] | c.audio[i + 1], 0) << i;
  ASSERT_TRUE(std::filesystem::exists(wav));
  EXPECT_EQ(std::filesystem::file_size(wav), 44u + 16000u);  // 0.5 s of PCM16 16 kHz mono
  std::filesystem::remove_all(dir);
}

TEST(DialCli, BadUsageExitsTwo) {
  EXPECT_EQ(run_dial({}).exit_code, 2);
  EXPECT_EQ(run_dial({"ws://127.0.0.1:1/rtm/voice", "--track", "sideways"}).exit_code, 2);
  EXPECT_EQ(run_dial({"ws://127.0.0.1:1/rtm/voice", "--param", "novalue"}).exit_code, 2);
  EXPECT_EQ(run_dial({"ws://127.0.0.1:1/rtm/voice", "--bogus"}).exit_code, 2);
  EXPECT_EQ(run_dial({"ws://127.0.0.1:1/fork", "--protocol", "sip"}).exit_code, 2);
  EXPECT_EQ(run_dial({"ws://127.0.0.1:1/fork", "--rate", "16000"}).exit_code, 2) << "--rate is jambonz's";
  EXPECT_EQ(run_dial({"ws://127.0.0.1:1/fork", "--stereo"}).exit_code, 2) << "--stereo is jambonz's";
  EXPECT_EQ(run_dial({"ws://127.0.0.1:1/fork", "--protocol", "jambonz", "--rate", "32000"}).exit_code, 2);
  DialRun missing = run_dial({"ws://127.0.0.1:1/rtm/voice", "--wav", "/nonexistent.wav"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no such file"), std::string::npos) << missing.err;
  DialRun help = run_dial({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: mediaflow dial URL"), std::string::npos);
}

}  // namespace
}  // namespace mediaflow
