// The load generator's quick mode as a smoke test, Twilio and jambonz: correctness only (every
// frame of every call comes back, every call closes 1000), never speed.
#include "support/spawn.hpp"
#include "support/fake_fork_host.hpp"
#include "support/fake_twilio_host.hpp"
#include "support/host_process.hpp"
#include "support/paths.hpp"
#include "support/test_files.hpp"

#include <mediaflow/gstutil/audio_file.hpp>
#include <mediaflow/protocol/jambonz_metadata.hpp>
#include <mediaflow/protocol/vendor_stamp.hpp>

#include <gtest/gtest.h>

#include <glib.h>
#include <gst/gst.h>

#include <cmath>
#include <filesystem>
#include <ctime>
#include <fstream>
#include <regex>
#include <set>
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

using protocol::vendor_stamp::monotonic_ns;

// The interface the fake vendors rely on: bench_call and bench_t0_ns in customParameters, and
// Twilio's envelopes exactly (chunk from 1, timestamp 20 ms apart, sequence +1 per message).
TEST(BenchLoadgen, EveryCallAnnouncesItsIndexAndFrameZeroTime) {
  test::FakeTwilioHost host;
  const int64_t before = monotonic_ns();
  const auto r = run_loadgen({"--url", host.url(), "--quick", "--param", "organization_id=acme"});
  const int64_t after = monotonic_ns();
  expect_all_frames_back(r);
  ASSERT_TRUE(host.wait_closed(4));
  std::set<std::string> indices;
  for (const auto& call : host.calls()) {
    const auto& p = call.start.custom_parameters;
    EXPECT_EQ(p.at("organization_id"), "acme");
    indices.insert(p.at("bench_call"));
    const long long t0 = std::stoll(p.at("bench_t0_ns"));
    EXPECT_GT(t0, before);
    EXPECT_LT(t0 + 100 * 20'000'000ll, after);  // all 100 frames were due before it exited
    EXPECT_EQ(call.start.tracks, std::vector<std::string>{"inbound"});
    EXPECT_EQ(call.start.media_format.encoding, "audio/x-mulaw");
    EXPECT_EQ(call.start_sequence, 1u);
    ASSERT_EQ(call.chunks.size(), 100u);
    for (size_t k = 0; k < call.chunks.size(); ++k) {
      EXPECT_EQ(call.chunks[k], k + 1);
      EXPECT_EQ(call.timestamps_ms[k], k * 20);
    }
    for (size_t i = 0; i < call.sequence_numbers.size(); ++i) EXPECT_EQ(call.sequence_numbers[i], i + 2);
    EXPECT_TRUE(call.stop_received);
    EXPECT_EQ(call.close_code, 1000);  // the caller answered the host's close
  }
  EXPECT_EQ(indices, (std::set<std::string>{"0", "1", "2", "3"}));
}

// --audio: every call loops the decoded clip (here 0.5 s, so 2 s of calls play it 4 times).
TEST(BenchLoadgen, AudioFileIsLoopedAsEveryCallsAudio) {
  test::TempDir dir;
  const auto wav = dir.path / "tone.wav";
  const protocol::WavFormat format{1, 8000, 16};
  std::vector<uint8_t> pcm(4000 * 2);
  for (size_t i = 0; i < 4000; ++i) {
    const auto s = static_cast<int16_t>(8000 * std::sin(i * 0.3) * (1 + i % 7) / 7);
    pcm[2 * i] = static_cast<uint8_t>(s & 0xFF);
    pcm[2 * i + 1] = static_cast<uint8_t>((s >> 8) & 0xFF);
  }
  const auto header = protocol::make_wav_header(format, pcm.size());
  std::vector<uint8_t> file(header.begin(), header.end());
  file.insert(file.end(), pcm.begin(), pcm.end());
  {
    std::ofstream out(wav, std::ios::binary);
    out.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
  }
  gst_init(nullptr, nullptr);
  std::vector<uint8_t> clip;
  std::string error;
  ASSERT_TRUE(gstutil::decode_file_to_mulaw(wav, clip, error)) << error;
  ASSERT_EQ(clip.size(), 4000u);

  test::FakeTwilioHost host;
  const auto r = run_loadgen({"--url", host.url(), "--quick", "--audio", wav.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(json_number(r.out, "completed"), 4) << r.out;
  EXPECT_EQ(json_number(r.out, "frames_received"), 400) << r.out;  // echoed, not matched
  ASSERT_TRUE(host.wait_closed(4));
  for (const auto& call : host.calls()) {
    ASSERT_EQ(call.audio.size(), 16000u);
    for (size_t i = 0; i < call.audio.size(); ++i) ASSERT_EQ(call.audio[i], clip[i % clip.size()]) << i;
  }
  EXPECT_EQ(run_loadgen({"--url", host.url(), "--quick", "--audio", (dir.path / "none.wav").string()}).exit_code, 2);
}

TEST(BenchLoadgen, QuickModeAgainstTheHostEchoPipeline) {
  auto host = test::start_host({{"MAX_CONCURRENT_CALLS", "20"}});
  ASSERT_TRUE(host);
  expect_all_frames_back(
      run_loadgen({"--url", host->ws_url(), "--host-pid", std::to_string(host->pid()), "--quick"}));
}

// --protocol jambonz: the same echo check on 20 ms binary PCM frames (640 bytes at 16 kHz),
// byte for byte, each call closing 1000 itself once its frames are back.
TEST(BenchLoadgen, JambonzQuickModeAgainstTheHostEchoPipeline) {
  auto host = test::start_host({{"MAX_CONCURRENT_CALLS", "20"}});
  ASSERT_TRUE(host);
  const auto r = run_loadgen({"--url", host->ws_url("/fork"), "--host-pid", std::to_string(host->pid()), "--quick",
                              "--protocol", "jambonz", "--rate", "16000"});
  expect_all_frames_back(r);
  EXPECT_NE(r.out.find(R"({"protocol":"jambonz","sample_rate":16000,)"), std::string::npos) << r.out;
}

// What each jambonz call sends, as the jambonz side sees it: subprotocol, a metadata frame with
// the run's parameters and the call's index and frame-0 time, 20 ms PCM frames, then a close.
TEST(BenchLoadgen, EveryJambonzCallAnnouncesItsIndexInItsMetadata) {
  test::FakeForkHost host;
  const auto r = run_loadgen({"--url", host.url(), "--quick", "--protocol", "jambonz", "--param", "organization_id=acme"});
  expect_all_frames_back(r);
  ASSERT_TRUE(host.wait_closed(4));
  std::set<std::string> indices, call_sids;
  for (const auto& call : host.calls()) {
    EXPECT_EQ(call.offered_subprotocols, "audio.jambonz.org");
    const auto m = protocol::jambonz::read_call_metadata(call.metadata);
    ASSERT_TRUE(m.ok()) << m.error << ": " << call.metadata;
    EXPECT_EQ(m.metadata.sample_rate, 8000u);
    EXPECT_EQ(m.metadata.channels, 1u);
    EXPECT_EQ(m.metadata.params.at("pipeline"), "echo");
    EXPECT_EQ(m.metadata.params.at("organization_id"), "acme");
    EXPECT_GT(std::stoll(m.metadata.params.at("bench_t0_ns")), 0);
    indices.insert(m.metadata.params.at("bench_call"));
    call_sids.insert(m.metadata.call_sid);
    EXPECT_EQ(call.frame_bytes, std::vector<size_t>(100, 320));
    EXPECT_EQ(call.close_code, 1000) << "the caller hangs up with a close, as jambonz does";
  }
  EXPECT_EQ(indices, (std::set<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(call_sids.size(), 4u);
  EXPECT_EQ(run_loadgen({"--url", host.url(), "--quick", "--rate", "16000"}).exit_code, 2) << "--rate is jambonz's";
  EXPECT_EQ(run_loadgen({"--url", host.url(), "--quick", "--protocol", "jambonz", "--rate", "32000"}).exit_code, 2);
}

// A host that answers the upgrade without selecting audio.jambonz.org is refused, as
// libwebsockets refuses it in mod_audio_fork.
TEST(BenchLoadgen, JambonzCallsRefuseAHostWithoutTheSubprotocol) {
  test::ForkHostScript script;
  script.select_subprotocol = false;
  test::FakeForkHost host(script);
  const auto r = run_loadgen({"--url", host.url(), "--calls", "2", "--duration", "0.2", "--ramp", "0",
                              "--protocol", "jambonz"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(json_number(r.out, "refused"), 2) << r.out;
  EXPECT_NE(r.out.find("subprotocol audio.jambonz.org not selected"), std::string::npos) << r.out;
}

// A mu-law WAV (format tag 7) holding `mulaw` as its samples.
void write_mulaw_wav(const std::filesystem::path& path, const std::vector<uint8_t>& mulaw) {
  auto le = [](std::string& out, uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  std::string w = "RIFF";
  le(w, static_cast<uint32_t>(36 + mulaw.size()), 4);
  w += "WAVEfmt ";
  le(w, 16, 4);
  le(w, 7, 2);     // WAVE_FORMAT_MULAW
  le(w, 1, 2);     // mono
  le(w, 8000, 4);  // rate
  le(w, 8000, 4);  // byte rate
  le(w, 1, 2);     // block align
  le(w, 8, 2);     // bits
  w += "data";
  le(w, static_cast<uint32_t>(mulaw.size()), 4);
  w.append(mulaw.begin(), mulaw.end());
  std::ofstream(path, std::ios::binary) << w;
}

// --vendor-stamps: audio coming back with an MFTS stamp is timed from the stamp. The echo
// host returns what the loadgen sent, so a 160-byte clip carrying one stamp (1 s ago) comes
// back stamped in every frame.
TEST(BenchLoadgen, VendorStampsInReceivedAudioAreTimed) {
  int64_t stamp = monotonic_ns() - 1'000'000'000;
  // mu-law 0x7F (−0) decodes like 0xFF (+0): keep it out of the stamp so the clip survives
  // the loadgen's decode → re-encode unchanged.
  for (int i = 0; i < 8; ++i)
    if (((stamp >> (8 * i)) & 0xFF) == 0x7F) stamp -= int64_t{1} << (8 * i);
  std::vector<uint8_t> clip(160, 0xFF);
  const char magic[] = "MFTS";
  std::copy(magic, magic + 4, clip.begin());
  for (int i = 0; i < 8; ++i) clip[4 + i] = static_cast<uint8_t>(static_cast<uint64_t>(stamp) >> (8 * i));
  test::TempDir dir;
  write_mulaw_wav(dir.path / "stamped.wav", clip);

  test::FakeTwilioHost host;
  const auto r = run_loadgen({"--url", host.url(), "--quick", "--audio", (dir.path / "stamped.wav").string(),
                              "--vendor-stamps"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(host.wait_closed(4));
  for (const auto& call : host.calls()) {
    ASSERT_EQ(call.audio.size(), 16000u);
    for (size_t i = 0; i < call.audio.size(); ++i) ASSERT_EQ(call.audio[i], clip[i % clip.size()]) << i;
  }
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"re("vendor_latency_ms":\{"stamped_frames":([0-9]+),"p50":([0-9.]+),"p99":([0-9.]+),"max":([0-9.]+))re")))
      << r.out;
  EXPECT_EQ(std::stoll(m[1].str()), 400);
  // The stamp is 1 s older than the run's start; the run lasts ~2.5 s.
  EXPECT_GT(std::stod(m[2].str()), 1000);
  EXPECT_LT(std::stod(m[4].str()), 30000);
  EXPECT_NE(r.out.find("stamped frames"), std::string::npos) << r.out;
}

TEST(BenchLoadgen, UnreachableHostCountsRefusedCallsAndFails) {
  const auto r = run_loadgen({"--url", "ws://127.0.0.1:1/rtm/voice", "--calls", "2", "--ramp", "0",
                              "--duration", "0.2"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(json_number(r.out, "refused"), 2) << r.out;
  EXPECT_EQ(json_number(r.out, "completed"), 0) << r.out;
  EXPECT_NE(r.out.find("Connection refused"), std::string::npos) << r.out;
}

TEST(BenchLoadgen, BadArgumentsExitTwo) {
  EXPECT_EQ(run_loadgen({}).exit_code, 2);
  EXPECT_EQ(run_loadgen({"--url", "ws://127.0.0.1:1/rtm/voice", "--calls", "0"}).exit_code, 2);
  EXPECT_EQ(run_loadgen({"--url", "ws://x", "--spawn"}).exit_code, 2);
  EXPECT_EQ(run_loadgen({"--url", "ws://127.0.0.1:1/rtm/voice", "--threads", "0"}).exit_code, 2);
  EXPECT_EQ(run_loadgen({"--url", "wss://127.0.0.1:1/rtm/voice", "--quick"}).exit_code, 2);
}

}  // namespace
}  // namespace mediaflow
