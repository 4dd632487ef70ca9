// The embedded default pipeline end to end through the real host (in-process, loopback
// WebSocket): a caller whose audio is espeak-ng saying "yes" gets the agent's greeting and
// answer back as media frames, and the host writes the transcript and agent events beside
// the recording.
#include "server/host_fixture.hpp"
#include "support/host_process.hpp"

#include <mediaflow/dial/twilio_caller.hpp>
#include "support/mulaw.hpp"
#include "support/spoken_audio.hpp"
#include "support/test_files.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>

namespace mediaflow::test {
namespace {

namespace tw = protocol::twilio;

std::vector<std::uint8_t> to_mulaw_8k(const std::vector<std::uint8_t>& s16) { return s16_16k_to_mulaw_8k(s16); }

class OfflineHost : public HostTest {
 protected:
  void SetUp() override {
    HostTest::SetUp();
    setenv("RECORDINGS_DIR", recordings_.path.c_str(), 1);
    config_.recordings_dir = recordings_.path;
  }
  // One call on `pipeline` ("" = the default) in which the caller says "yes" at 3 s of 7 s of
  // audio, sent at 4x real time: fast, yet the caller's audio keeps flowing while the agent
  // answers. Returns the agent's audio; the host is stopped after it (flushing the event writer).
  void call_saying_yes(const std::string& pipeline, std::vector<std::uint8_t>* agent_audio) {
    RawWebSocket ws;
    ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
    ASSERT_TRUE(ws.send_text(HostTest::start_message(pipeline)));
    const auto caller = to_mulaw_8k(speech_at({{3.0, "yes"}}, 7.0));
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i * 160 < caller.size(); ++i) {
      std::vector<std::uint8_t> frame(caller.begin() + long(i * 160), caller.begin() + long(i * 160 + 160));
      ASSERT_TRUE(ws.send_text(tw::encode_inbound_media(i + 2, "MZ00000000000000000000000000000001", "inbound",
                                                        i + 1, i * 20, frame)));
      std::this_thread::sleep_until(t0 + std::chrono::milliseconds(5 * (i + 1)));
    }
    ASSERT_TRUE(ws.send_text(tw::encode_stop(400, "MZ00000000000000000000000000000001", "AC", "CA")));
    EXPECT_EQ(read_until_close(ws, agent_audio), 1000);
    host_->stop();
  }
  TempDir recordings_;
};

TEST_F(OfflineHost, DefaultPipelineHearsYesAndAnswers) {
  start_host();
  std::vector<std::uint8_t> agent_audio;
  ASSERT_NO_FATAL_FAILURE(call_saying_yes("", &agent_audio));  // no pipeline named: the default

  // The greeting (~2 s, before the caller speaks at 3 s) and the answer (~1 s) came back.
  EXPECT_GT(agent_audio.size(), std::size_t(8000 * 2.5));
  auto transcripts = files_ending(recordings_.path, "transcript.jsonl");
  ASSERT_EQ(transcripts.size(), 1u);
  const std::string text = slurp(transcripts[0]);
  EXPECT_NE(text.find(R"("type":"mediaflow-transcript","vendor":"pocketsphinx","text":"yes","is-final":true)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("kind":"user_transcript","text":"yes")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("kind":"agent_response","text":"You said yes.")"), std::string::npos) << text;
  EXPECT_EQ(files_ending(recordings_.path, ".wav").size(), 1u) << "both tracks recorded";
}

// The agent hears the caller only through the pipeline file's `asr.transcript →
// agent.transcript` link: in a copy of the default pipeline without it, the ASR still hears
// "yes" (its bus messages reach the host's transcript.jsonl) and the agent still greets, but
// nothing answers. Before transcripts went in-band the agent read the bus and answered anyway.
TEST_F(OfflineHost, WithoutTheTranscriptLinkTheAgentDoesNotAnswer) {
  TempDir pipelines;
  std::string json = slurp(source_dir() / "pipelines" / "default.json");
  const std::string link = R"({"from": "asr.transcript", "to": "agent.transcript"},)";
  const auto at = json.find(link);
  ASSERT_NE(at, std::string::npos) << "default.json links asr.transcript → agent.transcript";
  json.erase(at, link.size());
  const std::string name = R"("name": "default")";
  ASSERT_NE(json.find(name), std::string::npos);
  json.replace(json.find(name), name.size(), R"("name": "unlinked")");
  {
    std::ofstream out(pipelines.path / "unlinked.json");
    out << json;
  }
  config_.pipelines_dir = pipelines.path;
  start_host();
  std::vector<std::uint8_t> agent_audio;
  ASSERT_NO_FATAL_FAILURE(call_saying_yes("unlinked", &agent_audio));

  auto transcripts = files_ending(recordings_.path, "transcript.jsonl");
  ASSERT_EQ(transcripts.size(), 1u);
  const std::string text = slurp(transcripts[0]);
  EXPECT_NE(text.find(R"("type":"mediaflow-transcript","vendor":"pocketsphinx","text":"yes","is-final":true)"),
            std::string::npos)
      << "the ASR heard the caller: " << text;
  EXPECT_NE(text.find(R"("kind":"agent_response","text":"Hello. Please say yes or no.")"), std::string::npos)
      << "the agent ran and greeted: " << text;
  EXPECT_EQ(text.find(R"("kind":"user_transcript")"), std::string::npos) << text;
  EXPECT_EQ(text.find("You said"), std::string::npos) << "the agent heard the ASR without a link: " << text;
}

// The same through a spawned `mediaflow serve` and the `mediaflow dial` client code, paced in
// real time like Twilio.
TEST(OfflineDial, DialedCallerSayingYesIsAnsweredByTheOfflineAgent) {
  auto host = start_host();
  ASSERT_TRUE(host);
  dial::CallerOptions o;
  o.url = host->ws_url();
  o.audio = to_mulaw_8k(speech_at({{1.0, "yes"}}, 4.5));
  o.realtime = true;
  dial::CallResult r = dial::run_call(o);
  EXPECT_EQ(r.close_code, 1000) << r.error;
  // Agent speech came back (the greeting — which the caller's "yes" may barge in on — and the
  // answer): more than a second of it.
  EXPECT_GT(r.bytes_received, std::uint64_t(8000));
  // The agent's marks reached the caller, which echoed them as Twilio does once played.
  EXPECT_TRUE(std::any_of(r.marks_received.begin(), r.marks_received.end(),
                          [](const std::string& m) { return m.rfind("espeak-agent-", 0) == 0; }));
  // The host wrote what the agent heard and said beside the call's recording, and how much
  // of its speech the caller heard (from those echoes).
  std::string text;
  EXPECT_TRUE(HostTest::eventually([&] {
    auto transcripts = files_ending(host->recordings_dir, "transcript.jsonl");
    text = transcripts.empty() ? "" : slurp(transcripts[0]);
    return text.find("You said yes.") != std::string::npos &&
           text.find(R"("vendor":"espeak","kind":"heard")") != std::string::npos;
  })) << text;
}

}  // namespace
}  // namespace mediaflow::test
