// Recordings and call events of live calls through the host: time alignment of both tracks,
// transcript/event file beside the recording, and a host killed mid-call whose recording is
// finalised by the next host at start-up.
#include "server/host_fixture.hpp"
#include "support/host_process.hpp"
#include "support/mulaw.hpp"
#include "support/test_files.hpp"

#include <mediaflow/protocol/recording_io.hpp>
#include <mediaflow/protocol/recording_path.hpp>

#include <json-glib/json-glib.h>

#include <csignal>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mediaflow::test {
namespace {

namespace tw = protocol::twilio;

constexpr const char* kStreamSid = "MZ00000000000000000000000000000001";

// mu-law frame of a 1 kHz tone (amplitude ~ -6 dBFS) or of silence.
std::vector<uint8_t> mulaw_frame(bool tone, int frame_index) {
  std::vector<uint8_t> f(160, 0xFF);
  if (!tone) return f;
  for (int i = 0; i < 160; ++i) {
    const double t = (frame_index * 160 + i) / 8000.0;
    f[size_t(i)] = mulaw_encode(int(16000 * std::sin(2 * M_PI * 1000 * t)));
  }
  return f;
}

// First frame (in seconds) where |sample| of `channel` exceeds `threshold`.
double first_loud(const Wav& w, int channel, int threshold = 3000) {
  for (size_t i = 0; i < w.frames(); ++i)
    if (std::abs(w.at(i, channel)) > threshold) return double(i) / w.info.format.sample_rate;
  return -1;
}

class HostRecordingTest : public HostTest {
 protected:
  void SetUp() override {
    HostTest::SetUp();
    setenv("RECORDINGS_DIR", recordings_.path.c_str(), 1);
    config_.recordings_dir = recordings_.path;
    config_.pipelines_dir = pipelines_.path;
    // Both Twilio tracks of a `both_tracks` stream, recorded time-aligned: inbound = caller (left),
    // outbound = agent (right).
    std::ofstream(pipelines_.path / "record-both.json") << R"({
      "name": "record-both",
      "nodes": [
        {"name": "in", "element": "twiliosrc", "properties": {"track": "inbound"}},
        {"name": "out", "element": "twiliosrc", "properties": {"track": "outbound"}},
        {"name": "dec_in", "element": "mulawdec"},
        {"name": "dec_out", "element": "mulawdec"},
        {"name": "res_in", "element": "audioresample"},
        {"name": "res_out", "element": "audioresample"},
        {"name": "rec", "element": "callrecorder", "properties": {
          "call-sid": "${call.sid}", "stream-sid": "${call.stream_sid}",
          "organization-id": "${param.organization_id}", "recording-id": "${recording.id}",
          "pipeline-name": "record-both"}}
      ],
      "links": [
        {"from": "in", "to": "dec_in"}, {"from": "dec_in", "to": "res_in"},
        {"from": "res_in", "to": "rec.caller", "caps": "audio/x-raw,format=S16LE,rate=16000,channels=1"},
        {"from": "out", "to": "dec_out"}, {"from": "dec_out", "to": "res_out"},
        {"from": "res_out", "to": "rec.agent", "caps": "audio/x-raw,format=S16LE,rate=16000,channels=1"}
      ]
    })";
    std::filesystem::copy_file(source_dir() / "pipelines" / "echo.json", pipelines_.path / "echo.json");
  }
  void TearDown() override {
    HostTest::TearDown();
    unsetenv("RECORDINGS_DIR");
  }

  std::string start_with(const std::string& pipeline, const std::string& org) {
    tw::StartEvent s;
    s.stream_sid = kStreamSid;
    s.call_sid = "CA00000000000000000000000000000042";
    s.account_sid = "AC00000000000000000000000000000001";
    s.tracks = {"inbound", "outbound"};
    s.custom_parameters = {{"pipeline", pipeline}, {"organization_id", org}};
    s.media_format = {"audio/x-mulaw", 8000, 1};
    return tw::encode_start(1, s);
  }

  TempDir recordings_;
  TempDir pipelines_;
};

TEST_F(HostRecordingTest, TenSecondCallGivesTimeAlignedTwoTrackRecordingWithManifest) {
  config_.inbound_media_allowance_ms = 0;  // the 10 s call is delivered in a burst, on purpose
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_with("record-both", "acme")));
  // 10.00 s = 500 frames per track; caller tone from 2.00 s, agent tone from 5.00 s (0.5 s each).
  uint64_t seq = 2;
  for (int i = 0; i < 500; ++i) {
    const bool caller_tone = i >= 100 && i < 125;
    const bool agent_tone = i >= 250 && i < 275;
    ASSERT_TRUE(ws.send_text(tw::encode_inbound_media(seq++, kStreamSid, "inbound", uint64_t(i + 1),
                                                      uint64_t(i * 20), mulaw_frame(caller_tone, i))));
    ASSERT_TRUE(ws.send_text(tw::encode_inbound_media(seq++, kStreamSid, "outbound", uint64_t(i + 1),
                                                      uint64_t(i * 20), mulaw_frame(agent_tone, i))));
  }
  ASSERT_TRUE(ws.send_text(tw::encode_stop(seq, kStreamSid, "AC", "CA")));
  EXPECT_EQ(ws.wait_close(10000), 1000);

  auto wavs = files_ending(recordings_.path, ".wav");
  ASSERT_EQ(wavs.size(), 1u);
  EXPECT_EQ(wavs[0].parent_path(),
            recordings_.path / "org" / "acme" / "recordings" / "CA00000000000000000000000000000042");
  Wav w = read_wav(wavs[0]);
  EXPECT_EQ(w.info.format.channels, 2);
  EXPECT_EQ(w.info.format.sample_rate, 16000u);
  EXPECT_NEAR(w.seconds(), 10.00, 0.02);
  EXPECT_NEAR(first_loud(w, 0), 2.00, 0.02) << "caller tone, left channel";
  EXPECT_NEAR(first_loud(w, 1), 5.00, 0.02) << "agent tone, right channel";

  auto manifests = files_ending(recordings_.path, ".json");
  ASSERT_EQ(manifests.size(), 1u);
  JsonParser* p = json_parser_new();
  ASSERT_TRUE(json_parser_load_from_file(p, manifests[0].c_str(), nullptr));
  JsonObject* m = json_node_get_object(json_parser_get_root(p));
  EXPECT_EQ(json_object_get_string_member(m, "sha256"), protocol::sha256_file(wavs[0]).value_or(""));
  EXPECT_STREQ(json_object_get_string_member(m, "pipeline"), "record-both");
  EXPECT_STREQ(json_object_get_string_member(m, "organization_id"), "acme");
  EXPECT_NEAR(json_object_get_double_member(m, "duration_seconds"), w.seconds(), 1e-3);
  g_object_unref(p);
  EXPECT_GE(metrics().recordings("complete").value(), 1u);
}

TEST_F(HostRecordingTest, CallEventsGoToTranscriptFileBesideTheRecordingAndHostileIdsStayInside) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_with("record-both", "../../../etc")));
  send_media(ws, 5, 1, kStreamSid);
  ASSERT_TRUE(ws.send_text(tw::encode_dtmf(9, kStreamSid, "7")));
  ASSERT_TRUE(ws.send_text(tw::encode_stop(10, kStreamSid, "AC", "CA")));
  EXPECT_EQ(ws.wait_close(), 1000);
  host_->stop();  // flushes the event writer

  auto transcripts = files_ending(recordings_.path, "transcript.jsonl");
  ASSERT_EQ(transcripts.size(), 1u);
  auto wavs = files_ending(recordings_.path, ".wav");
  ASSERT_EQ(wavs.size(), 1u);
  EXPECT_EQ(transcripts[0].parent_path(), wavs[0].parent_path());
  EXPECT_TRUE(protocol::path_is_inside(recordings_.path, transcripts[0]));
  const std::string text = slurp(transcripts[0]);
  EXPECT_NE(text.find("\"type\":\"twilio-dtmf\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"digit\":\"7\""), std::string::npos) << text;
}

// Descriptors of this (test) process open on `name`: the host runs in-process here.
int open_files_named(const std::string& name) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    std::error_code lec;
    const auto target = std::filesystem::read_symlink(e.path(), lec);
    if (!lec && target.filename() == name) ++n;
  }
  return n;
}

// An agent call echoes a mark per audio chunk (dozens of events a second): every one lands,
// in order, and the transcript file is not left open once the call is over.
TEST_F(HostRecordingTest, ManyCallEventsLandInOrderAndTheTranscriptIsClosedWhenTheCallEnds) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_with("record-both", "acme")));
  constexpr int kMarks = 300;
  for (int i = 0; i < kMarks; ++i) {
    ASSERT_TRUE(ws.send_text("{\"event\":\"mark\",\"sequenceNumber\":\"" + std::to_string(i + 2) +
                             "\",\"streamSid\":\"" + kStreamSid + "\",\"mark\":{\"name\":\"m" +
                             std::to_string(i) + "\"}}"));
  }
  ASSERT_TRUE(ws.send_text(tw::encode_stop(kMarks + 2, kStreamSid, "AC", "CA")));
  EXPECT_EQ(ws.wait_close(), 1000);
  EXPECT_TRUE(eventually([] { return open_files_named("transcript.jsonl") == 0; }))
      << "the transcript file is still open after the call ended";

  auto transcripts = files_ending(recordings_.path, "transcript.jsonl");
  ASSERT_EQ(transcripts.size(), 1u);
  std::istringstream lines(slurp(transcripts[0]));
  std::string line;
  int next = 0;
  while (std::getline(lines, line)) {
    if (line.find("\"type\":\"twilio-mark\"") == std::string::npos) continue;
    EXPECT_NE(line.find("\"name\":\"m" + std::to_string(next) + "\""), std::string::npos)
        << "expected mark m" << next << ", got " << line;
    ++next;
  }
  EXPECT_EQ(next, kMarks);
}

TEST(HostCrashRecovery, HostKilledMidCallLeavesARecordingTheNextHostFinalises) {
  TempDir recordings;
  auto host = start_host({{"RECORDINGS_DIR", recordings.path.string()}});
  ASSERT_TRUE(host);
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(uint16_t(host->port()), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(HostTest::start_message("default")));
  // Real time: 3.0 s of audio, then SIGKILL.
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 150; ++i) {
    ws.send_text(tw::encode_inbound_media(uint64_t(i + 2), kStreamSid, "inbound", uint64_t(i + 1),
                                          uint64_t(i * 20), mulaw_frame(true, i)));
    std::this_thread::sleep_until(t0 + std::chrono::milliseconds(20 * (i + 1)));
  }
  const double elapsed = 3.0;
  ::kill(host->pid(), SIGKILL);
  host->stop(5);
  ASSERT_FALSE(files_ending(recordings.path, ".wav.part").empty()) << "the recording was in progress";

  auto next = start_host({{"RECORDINGS_DIR", recordings.path.string()}});
  ASSERT_TRUE(next);
  auto wavs = files_ending(recordings.path, ".wav");
  ASSERT_EQ(wavs.size(), 1u);
  EXPECT_TRUE(files_ending(recordings.path, ".wav.part").empty());
  Wav w = read_wav(wavs[0]);
  EXPECT_GE(w.seconds(), elapsed - 1.0);
  EXPECT_LE(w.seconds(), elapsed + 0.1);
  JsonParser* p = json_parser_new();
  ASSERT_TRUE(json_parser_load_from_file(p, files_ending(recordings.path, ".json").at(0).c_str(), nullptr));
  JsonObject* m = json_node_get_object(json_parser_get_root(p));
  EXPECT_TRUE(json_object_get_boolean_member_with_default(m, "recovered", FALSE));
  EXPECT_STREQ(json_object_get_string_member_with_default(m, "call_sid", ""), "CA00000000000000000000000000000001");
  g_object_unref(p);
  // An independent reader agrees the file plays.
  std::string cmd = "soxi -D '" + wavs[0].string() + "' 2>/dev/null";
  FILE* soxi = popen(cmd.c_str(), "r");
  ASSERT_NE(soxi, nullptr);
  double soxi_seconds = 0;
  EXPECT_EQ(fscanf(soxi, "%lf", &soxi_seconds), 1);
  pclose(soxi);
  EXPECT_NEAR(soxi_seconds, w.seconds(), 0.01);
}

}  // namespace
}  // namespace mediaflow::test
