// deepgramasr against the fake Deepgram server: real WebSockets over loopback, real pipelines.
#include "support/asr_run.hpp"
#include "support/fake_deepgram.hpp"
#include "support/paths.hpp"

#include <mediaflow/plugin_registry.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using mediaflow::test::AsrInput;
using mediaflow::test::AsrRun;
using mediaflow::test::FakeDeepgram;
using mediaflow::test::PushMode;

class DeepgramAsrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gst_init(nullptr, nullptr);
    mediaflow::load_plugins(mediaflow::test::plugin_dir());
    ASSERT_NE(fake_.start(), 0);
  }

  GstElement* element(const char* key = "test-key") {
    GstElement* e = gst_element_factory_make("deepgramasr", nullptr);
    EXPECT_NE(e, nullptr);
    g_object_set(e, "url", fake_.url().c_str(), "api-key", key, "finalize-timeout", 3000u, nullptr);
    return e;
  }

  static std::string text(const GstStructure* s) { return gst_structure_get_string(s, "text"); }
  static double dbl(const GstStructure* s, const char* f) {
    double v = -1;
    gst_structure_get_double(s, f, &v);
    return v;
  }
  static bool flag(const GstStructure* s, const char* f) {
    gboolean v = FALSE;
    gst_structure_get_boolean(s, f, &v);
    return v;
  }

  FakeDeepgram fake_{"test-key"};
};

TEST_F(DeepgramAsrTest, HandshakeCarriesTokenAndQueryAndEveryByteArrives) {
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(2.5);
  AsrRun run = mediaflow::test::run_asr(element(), in);
  ASSERT_TRUE(run.eos);
  EXPECT_TRUE(run.errors.empty());
  EXPECT_TRUE(run.warnings.empty());

  const auto conns = fake_.connections();
  ASSERT_EQ(conns.size(), 1u);
  const auto& c = conns[0];
  EXPECT_EQ(c.authorization, "Token test-key");
  EXPECT_EQ(c.query.at("encoding"), "linear16");
  EXPECT_EQ(c.query.at("sample_rate"), "16000");
  EXPECT_EQ(c.query.at("channels"), "1");
  EXPECT_EQ(c.query.at("model"), "nova-3");
  EXPECT_EQ(c.query.at("interim_results"), "true");
  EXPECT_EQ(c.query.at("endpointing"), "300");
  EXPECT_EQ(c.query.at("utterance_end_ms"), "1000");
  EXPECT_EQ(c.query.at("vad_events"), "true");
  EXPECT_EQ(c.query.at("smart_format"), "true");
  EXPECT_EQ(c.query.at("punctuate"), "true");
  EXPECT_EQ(c.audio.size(), in.audio.size());
  EXPECT_TRUE(c.audio == in.audio) << "the fake received other bytes than were pushed";
  EXPECT_TRUE(c.close_stream);
}

TEST_F(DeepgramAsrTest, InterimAndFinalResultsBecomeSchemaMessagesBeforeEos) {
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(2.5);
  AsrRun run = mediaflow::test::run_asr(element(), in);
  ASSERT_TRUE(run.eos);
  const auto f = run.finals();
  // "second 0", "second 1", and the last half second flushed by CloseStream: all before EOS.
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(text(f[0]), "second 0");
  EXPECT_EQ(text(f[1]), "second 1");
  EXPECT_EQ(text(f[2]), "partial");
  EXPECT_DOUBLE_EQ(dbl(f[1], "start"), 1.0);
  EXPECT_DOUBLE_EQ(dbl(f[2], "start"), 2.0);
  EXPECT_NEAR(dbl(f[2], "duration"), 0.5, 1e-3);
  EXPECT_FALSE(flag(f[0], "end-of-utterance"));
  EXPECT_TRUE(flag(f[1], "end-of-utterance"));
  const GValue* words = gst_structure_get_value(f[1], "words");
  ASSERT_NE(words, nullptr);
  ASSERT_EQ(gst_value_list_get_size(words), 2u);
  const GstStructure* w = gst_value_get_structure(gst_value_list_get_value(words, 1));
  EXPECT_STREQ(gst_structure_get_string(w, "word"), "1");
  EXPECT_STREQ(gst_structure_get_string(w, "punctuated"), "1.");
  EXPECT_NEAR(dbl(w, "start"), 1.5, 1e-9);

  int interims = 0;
  for (const auto* s : run.named("mediaflow-transcript")) interims += !flag(s, "is-final");
  EXPECT_GE(interims, 3);
  const auto started = run.named("mediaflow-speech-started");
  ASSERT_GE(started.size(), 1u);
  EXPECT_NEAR(dbl(started[0], "timestamp"), 0.1, 1e-9);
  const auto ends = run.named("mediaflow-utterance-end");
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_NEAR(dbl(ends[0], "last-word-end"), 1.9, 1e-9);
}

TEST_F(DeepgramAsrTest, MulawAt8kIsDeclaredAsMulaw) {
  AsrInput in;
  in.caps = "audio/x-mulaw,rate=8000,channels=1";
  in.audio.assign(8000 * 1.2, 0x55);
  in.bytes_per_second = 8000;
  in.chunk_bytes = 160;
  AsrRun run = mediaflow::test::run_asr(element(), in);
  ASSERT_TRUE(run.eos);
  const auto conns = fake_.connections();
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].query.at("encoding"), "mulaw");
  EXPECT_EQ(conns[0].query.at("sample_rate"), "8000");
  EXPECT_TRUE(conns[0].audio == in.audio);
  ASSERT_EQ(run.finals().size(), 2u);
  EXPECT_DOUBLE_EQ(dbl(run.finals()[1], "start"), 1.0);
}

TEST_F(DeepgramAsrTest, DropMidStreamReconnectsResendsUnconfirmedAudioAndKeepsCallTime) {
  fake_.drop_after_bytes(48000);  // 1.5 s: the fake has confirmed only the first second
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(4.0);
  AsrRun run = mediaflow::test::run_asr(element(), in);
  ASSERT_TRUE(run.eos);
  EXPECT_TRUE(run.warnings.empty());
  EXPECT_EQ(run.named("mediaflow-vendor-reconnect").size(), 1u);

  const auto conns = fake_.connections();
  ASSERT_EQ(conns.size(), 2u);
  const std::vector<std::uint8_t> first_second(in.audio.begin(), in.audio.begin() + 32000);
  ASSERT_GE(conns[0].audio.size(), 48000u);
  EXPECT_TRUE(std::equal(conns[0].audio.begin(), conns[0].audio.end(), in.audio.begin()));
  // Everything after the last final result of the first connection, exactly once more.
  const std::vector<std::uint8_t> rest(in.audio.begin() + 32000, in.audio.end());
  EXPECT_EQ(conns[1].audio.size(), rest.size());
  EXPECT_TRUE(conns[1].audio == rest);

  // Final transcripts tile the call: 0,1,2,3 s, each once, in call time.
  const auto f = run.finals();
  ASSERT_EQ(f.size(), 4u);
  for (std::size_t i = 0; i < f.size(); ++i) {
    EXPECT_DOUBLE_EQ(dbl(f[i], "start"), static_cast<double>(i)) << i;
    EXPECT_DOUBLE_EQ(dbl(f[i], "duration"), 1.0) << i;
  }
}

TEST_F(DeepgramAsrTest, RefusedKeyIsOneWarningAndNoRetry) {
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(1.0);
  AsrRun run = mediaflow::test::run_asr(element("wrong-key"), in);
  ASSERT_TRUE(run.eos);
  EXPECT_TRUE(run.errors.empty());
  ASSERT_EQ(run.warnings.size(), 1u);
  EXPECT_NE(run.warnings[0].find("HTTP 401"), std::string::npos) << run.warnings[0];
  EXPECT_EQ(run.warnings[0].find("wrong-key"), std::string::npos);
  EXPECT_EQ(fake_.handshakes(), 1);
  EXPECT_TRUE(run.named("mediaflow-vendor-reconnect").empty());
  EXPECT_TRUE(run.named("mediaflow-transcript").empty());
}

TEST_F(DeepgramAsrTest, UnreachableVendorGivesUpAfterMaxReconnectsAndTheCallGoesOn) {
  GstElement* e = element();
  FakeDeepgram gone;
  gone.start();
  const std::string dead_url = gone.url();
  gone.stop();  // nothing listens there any more
  g_object_set(e, "url", dead_url.c_str(), "max-reconnects", 2u, nullptr);
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(0.5);
  in.pause_before_eos_ms = 1000;  // backoff 100 + 200 ms, then give up
  AsrRun run = mediaflow::test::run_asr(e, in);
  ASSERT_TRUE(run.eos);
  EXPECT_TRUE(run.errors.empty());
  EXPECT_EQ(run.named("mediaflow-vendor-reconnect").size(), 2u);
  ASSERT_EQ(run.warnings.size(), 1u);
  EXPECT_NE(run.warnings[0].find("unreachable"), std::string::npos) << run.warnings[0];
}

TEST_F(DeepgramAsrTest, KeepAliveDuringAQuietGap) {
  GstElement* e = element();
  g_object_set(e, "keepalive-interval", 100u, nullptr);
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(0.2);
  in.pause_before_eos_ms = 600;
  AsrRun run = mediaflow::test::run_asr(e, in);
  ASSERT_TRUE(run.eos);
  const auto conns = fake_.connections();
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_GE(conns[0].keepalives, 2);
  EXPECT_TRUE(conns[0].audio == in.audio);
}

TEST_F(DeepgramAsrTest, StalledVendorEndsWithinFinalizeTimeout) {
  fake_.stall(true);
  GstElement* e = element();
  g_object_set(e, "finalize-timeout", 300u, nullptr);
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(1.5);
  AsrRun run = mediaflow::test::run_asr(e, in);
  ASSERT_TRUE(run.eos);
  EXPECT_TRUE(run.errors.empty());
  EXPECT_TRUE(run.named("mediaflow-transcript").empty());
  ASSERT_EQ(fake_.connections().size(), 1u);
  EXPECT_TRUE(fake_.connections()[0].close_stream);
}

TEST_F(DeepgramAsrTest, HostLoopInlinePushingStreamsEverythingWithoutAThread) {
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(2.5);
  fake_.drop_after_bytes(40000);
  AsrRun run = mediaflow::test::run_asr(element(), in, PushMode::kInlineLoop);
  ASSERT_TRUE(run.eos);
  EXPECT_TRUE(run.errors.empty());
  const auto f = run.finals();
  ASSERT_EQ(f.size(), 3u);
  EXPECT_DOUBLE_EQ(dbl(f[0], "start"), 0.0);
  EXPECT_DOUBLE_EQ(dbl(f[1], "start"), 1.0);
  EXPECT_DOUBLE_EQ(dbl(f[2], "start"), 2.0);
  const auto conns = fake_.connections();
  ASSERT_EQ(conns.size(), 2u);
  EXPECT_TRUE(conns[1].audio == std::vector<std::uint8_t>(in.audio.begin() + 32000, in.audio.end()));
}

// Batching: N frames of 20 ms in, exactly those bytes out, in ceil(N * 20 / chunk-ms) binary
// messages: every message holds chunk-ms of audio, the last partial one goes at EOS. Both
// ways of pushing (the host's inline loop, appsrc's thread), the call's mu-law and 16 kHz PCM.
TEST_F(DeepgramAsrTest, FramesAreBatchedIntoChunkMsMessagesAndTheRestFlushedAtEos) {
  struct Case {
    const char* caps;
    std::size_t frame_bytes;
    guint chunk_ms;  // 0: the default (100)
    PushMode mode;
  };
  const Case cases[] = {
      {"audio/x-mulaw,rate=8000,channels=1", 160, 0, PushMode::kInlineLoop},
      {"audio/x-mulaw,rate=8000,channels=1", 160, 200, PushMode::kAppsrc},
      {"audio/x-raw,format=S16LE,rate=16000,channels=1,layout=interleaved", 640, 0, PushMode::kAppsrc},
      {"audio/x-raw,format=S16LE,rate=16000,channels=1,layout=interleaved", 640, 60, PushMode::kInlineLoop},
  };
  std::size_t connection = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.caps) + " chunk-ms " + std::to_string(c.chunk_ms));
    constexpr std::size_t kFrames = 53;  // 1.06 s: not a whole number of chunks
    AsrInput in;
    in.caps = c.caps;
    in.chunk_bytes = c.frame_bytes;
    in.bytes_per_second = c.frame_bytes * 50;
    in.audio.resize(kFrames * c.frame_bytes);
    for (std::size_t i = 0; i < in.audio.size(); ++i) in.audio[i] = std::uint8_t(i * 7 + i / 160);
    GstElement* e = element();
    if (c.chunk_ms) g_object_set(e, "chunk-ms", c.chunk_ms, nullptr);
    AsrRun run = mediaflow::test::run_asr(e, in, c.mode);
    ASSERT_TRUE(run.eos);
    const auto conns = fake_.connections();
    ASSERT_EQ(conns.size(), connection + 1);
    const auto& got = conns[connection++];
    EXPECT_TRUE(got.audio == in.audio) << "every byte, once, in order";
    const std::size_t chunk_ms = c.chunk_ms ? c.chunk_ms : 100;
    EXPECT_EQ(got.audio_messages, (kFrames * 20 + chunk_ms - 1) / chunk_ms);
  }
}

}  // namespace
