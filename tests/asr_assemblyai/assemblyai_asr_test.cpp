// assemblyaiasr against the fake AssemblyAI (tests/support/fake_assemblyai.*): real WebSockets
// over loopback, real pipelines. What every ASR element does is in the conformance suite; here,
// what is AssemblyAI's: the handshake, the formats, the 50–1000 ms messages at real time, the
// Terminate/Termination end and the close codes.
#include "support/asr_run.hpp"
#include "support/fake_assemblyai.hpp"
#include "support/paths.hpp"
#include "support/wait_until.hpp"

#include <mediaflow/plugin_registry.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace {

using mediaflow::test::AsrInput;
using mediaflow::test::AsrRun;
using mediaflow::test::FakeAssemblyAi;
using mediaflow::test::PushMode;

class AssemblyAiAsrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gst_init(nullptr, nullptr);
    mediaflow::load_plugins(mediaflow::test::plugin_dir());
    ASSERT_NE(fake_.start(), 0);
  }

  GstElement* element(const char* key = "test-key") {
    GstElement* e = gst_element_factory_make("assemblyaiasr", nullptr);
    EXPECT_NE(e, nullptr);
    g_object_set(e, "url", fake_.url().c_str(), "api-key", key, "finalize-timeout", 3000u, nullptr);
    return e;
  }

  static std::string text(const GstStructure* s) { return gst_structure_get_string(s, "text"); }

  // How the fake ended session `i`: its close is recorded just after it sent Termination, which
  // may already have let EOS through here.
  std::uint16_t close_code_of(std::size_t i) {
    mediaflow::test::wait_until([&] { const auto s = fake_.sessions(); return s.size() > i && s[i].close_code; }, 2000);
    const auto s = fake_.sessions();
    return s.size() > i ? s[i].close_code : 0;
  }

  static AsrInput mulaw(double seconds) {
    AsrInput in;
    in.caps = "audio/x-mulaw,rate=8000,channels=1";
    in.audio.resize(std::size_t(8000 * seconds));
    for (std::size_t i = 0; i < in.audio.size(); ++i) in.audio[i] = std::uint8_t(i * 7 + 3);
    in.bytes_per_second = 8000;
    in.chunk_bytes = 160;
    return in;
  }

  FakeAssemblyAi fake_{"test-key"};
};

TEST_F(AssemblyAiAsrTest, HandshakeCarriesTheRawKeyAndTheFormatAndEveryByteArrivesIn100MsMessages) {
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(2.5);
  AsrRun run = mediaflow::test::run_asr(element(), in);
  ASSERT_TRUE(run.eos);
  EXPECT_TRUE(run.errors.empty());
  EXPECT_TRUE(run.warnings.empty());
  const auto sessions = fake_.sessions();
  ASSERT_EQ(sessions.size(), 1u);
  const auto& s = sessions[0];
  EXPECT_EQ(s.authorization, "test-key");
  EXPECT_EQ(s.query.at("sample_rate"), "16000");
  EXPECT_EQ(s.query.at("encoding"), "pcm_s16le");
  EXPECT_EQ(s.query.at("speech_model"), "universal-streaming-english");
  EXPECT_EQ(s.query.count("token"), 0u) << "the key never goes into the URL";
  EXPECT_TRUE(s.audio == in.audio);
  ASSERT_EQ(s.message_ms.size(), 25u);
  for (double ms : s.message_ms) EXPECT_DOUBLE_EQ(ms, 100.0);
  ASSERT_FALSE(s.controls.empty());
  EXPECT_EQ(s.controls.back(), "Terminate");
  EXPECT_EQ(close_code_of(0), 1000) << "the session ended with Termination, not an error";
}

TEST_F(AssemblyAiAsrTest, TurnsBecomeInterimsThenOneFinalAndTheLastTurnIsKeptByTerminate) {
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(3.0);  // words 0–5: a turn of four, then two
  AsrRun run = mediaflow::test::run_asr(element(), in);
  ASSERT_TRUE(run.eos);
  const auto finals = run.finals();
  ASSERT_EQ(finals.size(), 2u);
  EXPECT_EQ(text(finals[0]), "word0 word1 word2 word3");
  EXPECT_EQ(text(finals[1]), "word4 word5") << "the turn only Terminate ends";
  EXPECT_DOUBLE_EQ(mediaflow::test::field(finals[1], "start"), 2.0);
  gboolean end_of_utterance = FALSE;
  gst_structure_get_boolean(finals[0], "end-of-utterance", &end_of_utterance);
  EXPECT_TRUE(end_of_utterance);
  const GValue* words = gst_structure_get_value(finals[0], "words");
  ASSERT_NE(words, nullptr);
  ASSERT_EQ(gst_value_list_get_size(words), 4u);
  const GstStructure* w = gst_value_get_structure(gst_value_list_get_value(words, 3));
  EXPECT_STREQ(gst_structure_get_string(w, "word"), "word3");
  EXPECT_DOUBLE_EQ(mediaflow::test::field(w, "start"), 1.5);
  EXPECT_DOUBLE_EQ(mediaflow::test::field(w, "end"), 1.9);
  EXPECT_GE(run.named("mediaflow-transcript").size(), 6u) << "interims before each final";
  EXPECT_EQ(run.named("mediaflow-speech-started").size(), 2u);
}

TEST_F(AssemblyAiAsrTest, MulawAt8kIsPassedThroughAsPcmMulaw) {
  const AsrInput in = mulaw(1.2);
  AsrRun run = mediaflow::test::run_asr(element(), in);
  ASSERT_TRUE(run.eos);
  const auto sessions = fake_.sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].query.at("encoding"), "pcm_mulaw");
  EXPECT_EQ(sessions[0].query.at("sample_rate"), "8000");
  EXPECT_TRUE(sessions[0].audio == in.audio) << "mu-law reaches the vendor byte for byte";
}

TEST_F(AssemblyAiAsrTest, S16leAt8kIsDeclaredAt8k) {
  AsrInput in;
  in.caps = "audio/x-raw,format=S16LE,rate=8000,channels=1,layout=interleaved";
  in.audio.assign(16000, 0x10);  // 1 s
  in.bytes_per_second = 16000;
  in.chunk_bytes = 320;
  AsrRun run = mediaflow::test::run_asr(element(), in);
  ASSERT_TRUE(run.eos);
  const auto sessions = fake_.sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].query.at("encoding"), "pcm_s16le");
  EXPECT_EQ(sessions[0].query.at("sample_rate"), "8000");
  EXPECT_TRUE(sessions[0].audio == in.audio);
}

// The rule AssemblyAI closes 3007 for: 50–1000 ms per message. chunk-ms sets the size; values
// below the vendor's minimum are raised to it; the last message is padded with silence to 50 ms.
TEST_F(AssemblyAiAsrTest, ChunkMsSetsTheMessageSizeWithinTheVendorsRangeAndTheLastIsPadded) {
  GstElement* e = element();
  guint chunk_ms = 0;
  g_object_get(e, "chunk-ms", &chunk_ms, nullptr);
  EXPECT_EQ(chunk_ms, 100u) << "AssemblyAI's default";
  g_object_set(e, "chunk-ms", 250u, nullptr);
  const AsrInput in = mulaw(1.03);  // four messages of 250 ms, and 30 ms
  AsrRun run = mediaflow::test::run_asr(e, in);
  ASSERT_TRUE(run.eos);
  auto sessions = fake_.sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].message_ms, (std::vector<double>{250, 250, 250, 250, 50}));
  ASSERT_EQ(sessions[0].audio.size(), 8400u) << "1.03 s and 20 ms of padding";
  EXPECT_TRUE(std::equal(in.audio.begin(), in.audio.end(), sessions[0].audio.begin()));
  EXPECT_TRUE(std::all_of(sessions[0].audio.begin() + std::ptrdiff_t(in.audio.size()), sessions[0].audio.end(),
                          [](std::uint8_t b) { return b == 0xFF; }))
      << "mu-law silence";
  EXPECT_EQ(close_code_of(0), 1000);

  GstElement* small = element();
  g_object_set(small, "chunk-ms", 20u, nullptr);
  AsrRun run2 = mediaflow::test::run_asr(small, mulaw(0.5));
  ASSERT_TRUE(run2.eos);
  sessions = fake_.sessions();
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[1].message_ms, (std::vector<double>(10, 50.0))) << "20 ms is below AssemblyAI's 50";
}

// Audio that arrives at once (a file, a backlog) goes out no faster than real time: the fake
// allows at most one maximal message (1 s) ahead, and 4 s were pushed in a few milliseconds.
TEST_F(AssemblyAiAsrTest, ABurstOfAudioIsPacedToRealTime) {
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(4.0);
  AsrRun run = mediaflow::test::run_asr(element(), in);
  ASSERT_TRUE(run.eos);
  EXPECT_TRUE(run.warnings.empty());
  EXPECT_GE(run.seconds_to_eos, 3.5) << "4 s of audio cannot reach the vendor in less";
  const auto sessions = fake_.sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(close_code_of(0), 1000) << "not 3007";
  EXPECT_TRUE(sessions[0].audio == in.audio);
}

// A close AssemblyAI documents as final (3007: our messages broke its rules) is not retried.
TEST_F(AssemblyAiAsrTest, ACloseNotWorthRetryingIsOneWarningAndNoNewConnection) {
  fake_.set_rate_allowance_ms(0);  // the element's one message ahead of real time is too much
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(1.0);
  AsrRun run = mediaflow::test::run_asr(element(), in);
  ASSERT_TRUE(run.eos);
  EXPECT_TRUE(run.errors.empty());
  ASSERT_EQ(run.warnings.size(), 1u);
  EXPECT_NE(run.warnings[0].find("close 3007"), std::string::npos) << run.warnings[0];
  EXPECT_EQ(fake_.handshakes(), 1);
  EXPECT_TRUE(run.named("mediaflow-vendor-reconnect").empty());
}

TEST_F(AssemblyAiAsrTest, ARefusedHandshakeIsOneWarningAndNoRetry) {
  fake_.refuse_handshake(401);
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(0.5);
  AsrRun run = mediaflow::test::run_asr(element(), in);
  ASSERT_TRUE(run.eos);
  ASSERT_EQ(run.warnings.size(), 1u);
  EXPECT_NE(run.warnings[0].find("AssemblyAI refused the API key (HTTP 401)"), std::string::npos) << run.warnings[0];
  EXPECT_EQ(fake_.handshakes(), 1);
}

// The host's way: pushed inline from a loop thread, where the session's pacing and Termination
// wait run as deadlines on that loop (no thread of the element's own).
TEST_F(AssemblyAiAsrTest, HostLoopInlinePushingIsPacedAndKeepsTheLastTurn) {
  fake_.drop_after_messages(25);
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(3.0);
  AsrRun run = mediaflow::test::run_asr(element(), in, PushMode::kInlineLoop);
  ASSERT_TRUE(run.eos);
  EXPECT_TRUE(run.errors.empty());
  EXPECT_EQ(run.named("mediaflow-vendor-reconnect").size(), 1u);
  const auto finals = run.finals();
  ASSERT_EQ(finals.size(), 2u);
  EXPECT_DOUBLE_EQ(mediaflow::test::field(finals[0], "start"), 0.0);
  EXPECT_NEAR(mediaflow::test::field(finals[1], "start"), 1.9, 1e-9) << "the second connection starts at 1.9 s";
  const auto sessions = fake_.sessions();
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_TRUE(sessions[1].audio == std::vector<std::uint8_t>(in.audio.begin() + 60800, in.audio.end()));
}

}  // namespace
