// A live call on the shipped `transcribe-deepgram` pipeline, through the real host, against the
// protocol-faithful fake Deepgram: the vendor gets exactly the caller's mu-law as Twilio sent it
// (not decoded, not resampled) while the recording is PCM at the call's 8 kHz (decoded, not resampled), transcripts land in transcript.jsonl beside the recording (never in the logs). The same for
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

// One Twilio call on a transcribe pipeline against a fake vendor (its key and URL in the
// environment), and what it left: the host's log lines and the final transcripts beside the
// recording.
class HostTranscribeTest : public HostTest {
 protected:
  struct Final {
    std::string text, vendor;
    double start;
  };

  void TearDown() override {
    for (const auto& name : set_) unsetenv(name.c_str());
    HostTest::TearDown();
  }

  void set(const char* name, const std::string& value) {
    setenv(name, value.c_str(), 1);
    set_.push_back(name);
  }

  // `frames` of 20 ms caller audio, then stop; the host stopped afterwards. Returns the
  // caller's mu-law as sent.
  std::vector<uint8_t> call(const std::string& pipeline, int frames) {
    std::vector<uint8_t> sent;
    call_into(pipeline, frames, &sent);
    return sent;
  }

  void call_into(const std::string& pipeline, int frames, std::vector<uint8_t>* sent) {
    set("RECORDINGS_DIR", recordings_.path.string());
    config_.recordings_dir = recordings_.path;
    log::set_sink([this](std::string_view line) {
      std::lock_guard lock(log_mutex_);
      logs_.append(line);
    });
    ASSERT_NO_FATAL_FAILURE(start_host());
    RawWebSocket ws;
    ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
    ASSERT_TRUE(ws.send_text(start_message(pipeline)));
    *sent = send_media(ws, frames, 7, kStreamSid);
    ASSERT_TRUE(ws.send_text(tw::encode_stop(200, kStreamSid, "AC", "CA")));
    EXPECT_EQ(ws.wait_close(10000), 1000);
    // The call gave its pipeline back (the ASR and its vendor client hold no reference).
    EXPECT_TRUE(eventually([] { return metrics().pipelines_live().value() == 0; }));
    host_->stop();
    log::set_sink({});
  }

  // The final transcripts of transcript.jsonl, which lies beside the call's one recording.
  std::vector<Final> finals() {
    std::vector<Final> out;
    auto transcripts = files_ending(recordings_.path, "transcript.jsonl");
    auto wavs = files_ending(recordings_.path, ".wav");
    EXPECT_EQ(transcripts.size(), 1u);
    EXPECT_EQ(wavs.size(), 1u);
    if (transcripts.size() != 1 || wavs.size() != 1) return out;
    EXPECT_EQ(transcripts[0].parent_path(), wavs[0].parent_path());
    std::istringstream lines(slurp(transcripts[0]));
    for (std::string line; std::getline(lines, line);) {
      JsonParser* p = json_parser_new();
      EXPECT_TRUE(json_parser_load_from_data(p, line.c_str(), -1, nullptr)) << line;
      JsonObject* o = json_node_get_object(json_parser_get_root(p));
      if (std::string(json_object_get_string_member(o, "type")) == "mediaflow-transcript" &&
          json_object_get_boolean_member(o, "is-final"))
        out.push_back({json_object_get_string_member(o, "text"), json_object_get_string_member(o, "vendor"),
                       json_object_get_double_member(o, "start")});
      g_object_unref(p);
    }
    return out;
  }

  // The sample rate of the call's one recording (its manifest).
  int recorded_rate() {
    auto manifests = files_ending(recordings_.path, ".json");
    for (const auto& m : manifests) {
      if (m.filename().string().find("transcript") != std::string::npos) continue;
      JsonParser* p = json_parser_new();
      int rate = -1;
      if (json_parser_load_from_file(p, m.c_str(), nullptr)) {
        JsonObject* o = json_node_get_object(json_parser_get_root(p));
        if (json_object_has_member(o, "sample_rate")) rate = int(json_object_get_int_member(o, "sample_rate"));
      }
      g_object_unref(p);
      if (rate > 0) return rate;
    }
    return -1;
  }

  std::string logs() {
    std::lock_guard lock(log_mutex_);
    return logs_;
  }

 private:
  TempDir recordings_;
  std::mutex log_mutex_;
  std::string logs_;
  std::vector<std::string> set_;
};

TEST_F(HostTranscribeTest, TranscribeDeepgramCallWritesTranscriptsBesideTheRecording) {
  FakeDeepgram vendor("dg-test-key");
  ASSERT_NE(vendor.start(), 0);
  set("DEEPGRAM_API_KEY", "dg-test-key");
  set("DEEPGRAM_WS_URL", vendor.url());
  const std::vector<uint8_t> sent = call("transcribe-deepgram", 150);  // 3.00 s

  // The vendor heard the whole call as the caller sent it: 3 s of Twilio's 8 kHz mu-law, byte
  // for byte, on one connection, with our key.
  auto conns = vendor.connections();
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].authorization, "Token dg-test-key");
  EXPECT_EQ(conns[0].query["encoding"], "mulaw");
  EXPECT_EQ(conns[0].query["sample_rate"], "8000");
  ASSERT_EQ(conns[0].audio.size(), sent.size());
  EXPECT_TRUE(conns[0].audio == sent) << "the caller's mu-law, unchanged";
  // The recording decodes (its own branch of the tee) and keeps the call's 8 kHz: no resampler.
  EXPECT_EQ(recorded_rate(), 8000);
  EXPECT_TRUE(conns[0].close_stream) << "CloseStream at the end of the call";

  const auto got = finals();
  ASSERT_EQ(got.size(), 3u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].start, double(i), 0.05);
    EXPECT_EQ(got[i].vendor, "deepgram");
  }
  // PHI stays out of the logs: the fake's transcript text never appears there.
  EXPECT_EQ(logs().find("second "), std::string::npos) << logs();
  EXPECT_NE(logs().find("call_ended"), std::string::npos);
}

// The host pushes the call's frames inline as they come (here: 3 s at once); assemblyaiasr sends
// them to AssemblyAI no faster than real time, and at the stop Terminate brings the last turn.
TEST_F(HostTranscribeTest, TranscribeAssemblyAiCallWritesTranscriptsBesideTheRecording) {
  FakeAssemblyAi vendor("aai-test-key");
  ASSERT_NE(vendor.start(), 0);
  set("ASSEMBLYAI_API_KEY", "aai-test-key");
  set("ASSEMBLYAI_WS_URL", vendor.url());
  // 3.20 s (160 frames): six words of 500 ms, the last completed with time to spare for the
  // resampler's latency.
  const std::vector<uint8_t> sent = call("transcribe-assemblyai", 160);

  const auto sessions = vendor.sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].authorization, "aai-test-key");
  EXPECT_EQ(sessions[0].query.at("encoding"), "pcm_mulaw");
  EXPECT_EQ(sessions[0].query.at("sample_rate"), "8000");
  ASSERT_EQ(sessions[0].audio.size(), sent.size());
  EXPECT_TRUE(sessions[0].audio == sent) << "the caller's mu-law, unchanged";
  EXPECT_EQ(recorded_rate(), 8000);
  ASSERT_FALSE(sessions[0].controls.empty());
  EXPECT_EQ(sessions[0].controls.back(), "Terminate");
  EXPECT_NE(sessions[0].close_code, 3007) << "paced: never faster than real time";

  std::vector<std::string> texts;
  for (const auto& f : finals()) {
    texts.push_back(f.text);
    EXPECT_EQ(f.vendor, "assemblyai");
  }
  // A turn of four words, and the two that only Terminate ends.
  EXPECT_EQ(texts, (std::vector<std::string>{"word0 word1 word2 word3", "word4 word5"}));
  EXPECT_EQ(logs().find("word0"), std::string::npos) << logs();
}

}  // namespace
}  // namespace mediaflow::test
