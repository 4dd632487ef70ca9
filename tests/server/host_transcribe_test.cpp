// A live call on the shipped `transcribe-deepgram` pipeline, through the real host, against the
// protocol-faithful fake Deepgram: the vendor gets exactly the decoded, resampled caller audio,
// transcripts land in transcript.jsonl beside the recording (never in the logs). The same for
// `transcribe-assemblyai`, the same pipeline with assemblyaiasr in its asr node.
#include "server/host_fixture.hpp"
#include "support/fake_assemblyai.hpp"
#include "support/fake_deepgram.hpp"
#include "support/test_files.hpp"

#include <mediaflow/log.hpp>

#include <json-glib/json-glib.h>

#include <mutex>
#include <sstream>

namespace mediaflow::test {
namespace {

namespace tw = protocol::twilio;
constexpr const char* kStreamSid = "MZ00000000000000000000000000000001";

TEST_F(HostTest, TranscribeDeepgramCallWritesTranscriptsBesideTheRecording) {
  FakeDeepgram vendor("dg-test-key");
  ASSERT_NE(vendor.start(), 0);
  TempDir recordings;
  setenv("DEEPGRAM_API_KEY", "dg-test-key", 1);
  setenv("DEEPGRAM_WS_URL", vendor.url().c_str(), 1);
  setenv("RECORDINGS_DIR", recordings.path.c_str(), 1);
  config_.recordings_dir = recordings.path;
  std::mutex log_mutex;
  std::string logs;
  log::set_sink([&](std::string_view line) {
    std::lock_guard lock(log_mutex);
    logs.append(line);
  });
  ASSERT_NO_FATAL_FAILURE(start_host());

  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_message("transcribe-deepgram")));
  // 3.00 s of caller audio (150 frames), then stop.
  send_media(ws, 150, 7, kStreamSid);
  ASSERT_TRUE(ws.send_text(tw::encode_stop(200, kStreamSid, "AC", "CA")));
  EXPECT_EQ(ws.wait_close(10000), 1000);
  // The call gave its pipeline back (deepgramasr and its vendor client hold no reference).
  EXPECT_TRUE(eventually([] { return metrics().pipelines_live().value() == 0; }));
  host_->stop();
  log::set_sink({});

  // The vendor heard the whole call: 3 s of 16 kHz S16LE mono, on one connection, with our key.
  auto conns = vendor.connections();
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].authorization, "Token dg-test-key");
  EXPECT_EQ(conns[0].query["encoding"], "linear16");
  EXPECT_EQ(conns[0].query["sample_rate"], "16000");
  EXPECT_NEAR(double(conns[0].audio.size()), 3.0 * 16000 * 2, 2 * 16 * 2) << "within 1 ms of resampler latency";
  EXPECT_TRUE(conns[0].close_stream) << "CloseStream at the end of the call";

  auto transcripts = files_ending(recordings.path, "transcript.jsonl");
  ASSERT_EQ(transcripts.size(), 1u);
  auto wavs = files_ending(recordings.path, ".wav");
  ASSERT_EQ(wavs.size(), 1u);
  EXPECT_EQ(transcripts[0].parent_path(), wavs[0].parent_path());
  std::istringstream lines(slurp(transcripts[0]));
  int finals = 0;
  std::vector<double> starts;
  for (std::string line; std::getline(lines, line);) {
    JsonParser* p = json_parser_new();
    ASSERT_TRUE(json_parser_load_from_data(p, line.c_str(), -1, nullptr)) << line;
    JsonObject* o = json_node_get_object(json_parser_get_root(p));
    if (std::string(json_object_get_string_member(o, "type")) == "mediaflow-transcript" &&
        json_object_get_boolean_member(o, "is-final")) {
      ++finals;
      starts.push_back(json_object_get_double_member(o, "start"));
      EXPECT_STREQ(json_object_get_string_member(o, "vendor"), "deepgram");
    }
    g_object_unref(p);
  }
  EXPECT_EQ(finals, 3) << slurp(transcripts[0]);
  for (size_t i = 0; i < starts.size(); ++i) EXPECT_NEAR(starts[i], double(i), 0.05);
  // PHI stays out of the logs: the fake's transcript text never appears there.
  std::lock_guard lock(log_mutex);
  EXPECT_EQ(logs.find("second "), std::string::npos) << logs;
  EXPECT_NE(logs.find("call_ended"), std::string::npos);
  unsetenv("DEEPGRAM_API_KEY");
  unsetenv("DEEPGRAM_WS_URL");
  unsetenv("RECORDINGS_DIR");
}

// The host pushes the call's frames inline as they come (here: 3 s at once); assemblyaiasr sends
// them to AssemblyAI no faster than real time, and at the stop Terminate brings the last turn.
TEST_F(HostTest, TranscribeAssemblyAiCallWritesTranscriptsBesideTheRecording) {
  FakeAssemblyAi vendor("aai-test-key");
  ASSERT_NE(vendor.start(), 0);
  TempDir recordings;
  setenv("ASSEMBLYAI_API_KEY", "aai-test-key", 1);
  setenv("ASSEMBLYAI_WS_URL", vendor.url().c_str(), 1);
  setenv("RECORDINGS_DIR", recordings.path.c_str(), 1);
  config_.recordings_dir = recordings.path;
  std::mutex log_mutex;
  std::string logs;
  log::set_sink([&](std::string_view line) {
    std::lock_guard lock(log_mutex);
    logs.append(line);
  });
  ASSERT_NO_FATAL_FAILURE(start_host());

  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_message("transcribe-assemblyai")));
  // 3.20 s (160 frames): six words of 500 ms, the last completed with time to spare for the
  // resampler's latency.
  send_media(ws, 160, 7, kStreamSid);
  ASSERT_TRUE(ws.send_text(tw::encode_stop(200, kStreamSid, "AC", "CA")));
  EXPECT_EQ(ws.wait_close(10000), 1000);
  EXPECT_TRUE(eventually([] { return metrics().pipelines_live().value() == 0; }));
  host_->stop();
  log::set_sink({});

  const auto sessions = vendor.sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].authorization, "aai-test-key");
  EXPECT_EQ(sessions[0].query.at("encoding"), "pcm_s16le");
  EXPECT_EQ(sessions[0].query.at("sample_rate"), "16000");
  EXPECT_NEAR(double(sessions[0].audio.size()), 3.2 * 16000 * 2, 2 * 16 * 2) << "within 1 ms of resampler latency";
  ASSERT_FALSE(sessions[0].controls.empty());
  EXPECT_EQ(sessions[0].controls.back(), "Terminate");
  EXPECT_NE(sessions[0].close_code, 3007) << "paced: never faster than real time";

  auto transcripts = files_ending(recordings.path, "transcript.jsonl");
  ASSERT_EQ(transcripts.size(), 1u);
  auto wavs = files_ending(recordings.path, ".wav");
  ASSERT_EQ(wavs.size(), 1u);
  EXPECT_EQ(transcripts[0].parent_path(), wavs[0].parent_path());
  std::istringstream lines(slurp(transcripts[0]));
  std::vector<std::string> finals;
  for (std::string line; std::getline(lines, line);) {
    JsonParser* p = json_parser_new();
    ASSERT_TRUE(json_parser_load_from_data(p, line.c_str(), -1, nullptr)) << line;
    JsonObject* o = json_node_get_object(json_parser_get_root(p));
    if (std::string(json_object_get_string_member(o, "type")) == "mediaflow-transcript" &&
        json_object_get_boolean_member(o, "is-final")) {
      finals.push_back(json_object_get_string_member(o, "text"));
      EXPECT_STREQ(json_object_get_string_member(o, "vendor"), "assemblyai");
    }
    g_object_unref(p);
  }
  // A turn of four words, and the two that only Terminate ends.
  EXPECT_EQ(finals, (std::vector<std::string>{"word0 word1 word2 word3", "word4 word5"})) << slurp(transcripts[0]);
  std::lock_guard lock(log_mutex);
  EXPECT_EQ(logs.find("word0"), std::string::npos) << logs;
  unsetenv("ASSEMBLYAI_API_KEY");
  unsetenv("ASSEMBLYAI_WS_URL");
  unsetenv("RECORDINGS_DIR");
}

}  // namespace
}  // namespace mediaflow::test
