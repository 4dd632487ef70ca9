// The embedded default pipeline end to end through the real host (in-process, loopback
// WebSocket): a caller whose audio is espeak-ng saying "yes" gets the agent's greeting and
// answer back as media frames, and the host writes the transcript and agent events beside
// the recording.
#include "server/host_fixture.hpp"
#include "support/spoken_audio.hpp"
#include "support/test_files.hpp"

#include <chrono>
#include <cmath>
#include <thread>

namespace mediaflow::test {
namespace {

namespace tw = protocol::twilio;

// 16 kHz S16LE → 8 kHz G.711 mu-law (pairs averaged; reference encoder), as a phone sends it.
std::vector<std::uint8_t> to_mulaw_8k(const std::vector<std::uint8_t>& s16) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 3 < s16.size(); i += 4) {
    const int a = std::int16_t(s16[i] | (s16[i + 1] << 8)), b = std::int16_t(s16[i + 2] | (s16[i + 3] << 8));
    const int s = (a + b) / 2;
    const int sign = s < 0 ? 0x80 : 0;
    const int mag = std::min(std::abs(s), 32635) + 0x84;
    int exp = 7;
    for (int m = 0x4000; (mag & m) == 0 && exp > 0; m >>= 1) --exp;
    const int mant = (mag >> (exp + 3)) & 0x0F;
    out.push_back(std::uint8_t(~(sign | (exp << 4) | mant)));
  }
  return out;
}

class OfflineHost : public HostTest {
 protected:
  void SetUp() override {
    HostTest::SetUp();
    setenv("RECORDINGS_DIR", recordings_.path.c_str(), 1);
    config_.recordings_dir = recordings_.path;
  }
  TempDir recordings_;
};

TEST_F(OfflineHost, DefaultPipelineHearsYesAndAnswers) {
  start_host();
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(HostTest::start_message("")));  // no pipeline named: the default
  const auto caller = to_mulaw_8k(speech_at({{3.0, "yes"}}, 7.0));
  // 4x real time: fast, yet the caller's audio keeps flowing while the agent answers.
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i * 160 < caller.size(); ++i) {
    std::vector<std::uint8_t> frame(caller.begin() + long(i * 160), caller.begin() + long(i * 160 + 160));
    ASSERT_TRUE(ws.send_text(tw::encode_inbound_media(i + 2, "MZ00000000000000000000000000000001", "inbound", i + 1,
                                                      i * 20, frame)));
    std::this_thread::sleep_until(t0 + std::chrono::milliseconds(5 * (i + 1)));
  }
  ASSERT_TRUE(ws.send_text(tw::encode_stop(400, "MZ00000000000000000000000000000001", "AC", "CA")));
  std::vector<std::uint8_t> agent_audio;
  EXPECT_EQ(read_until_close(ws, &agent_audio), 1000);
  host_->stop();  // flushes the event writer

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

}  // namespace
}  // namespace mediaflow::test
