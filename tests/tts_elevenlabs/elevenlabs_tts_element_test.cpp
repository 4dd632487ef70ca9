// elevenlabstts, the element as a pipeline runs it, against the stream-input fake: text in,
// audio of the announced format out (the fake's deterministic tone, byte for byte, contiguous
// timestamps), the end of input, the mark after the last audio, interruption, a refused key
// under either on-failure policy, and the hang-up after an announcement.
#include "support/fake_elevenlabs_tts.hpp"
#include "support/paths.hpp"
#include "support/tts_run.hpp"

#include <mediaflow/plugin_registry.hpp>

#include <gtest/gtest.h>

#include <string>

using mediaflow::test::FakeElevenLabsTts;
using mediaflow::test::TtsRun;

namespace {

constexpr const char* kKey = "test-key";

class ElevenLabsTtsElement : public ::testing::Test {
 protected:
  void SetUp() override {
    gst_init(nullptr, nullptr);
    mediaflow::load_plugins(mediaflow::test::plugin_dir());
    ASSERT_NE(fake_.start(), 0);
  }
  GstElement* element(const std::string& format = "ulaw_8000", const char* key = kKey) {
    GstElement* e = gst_element_factory_make("elevenlabstts", nullptr);
    EXPECT_NE(e, nullptr);
    g_object_set(e, "url", fake_.url().c_str(), "api-key", key, "voice-id", "voice_1", "output-format", format.c_str(),
                 nullptr);
    return e;
  }
  FakeElevenLabsTts fake_{kKey};
};

TEST_F(ElevenLabsTtsElement, TextInToneOutInTheAnnouncedFormatWithAMarkAfterTheLastAudio) {
  for (const std::string format : {"ulaw_8000", "pcm_16000"}) {
    SCOPED_TRACE(format);
    TtsRun run(element(format));
    ASSERT_TRUE(run.play());
    run.push_text("Hello there, caller.");
    run.push_text("Goodbye.");
    run.end_input();
    ASSERT_TRUE(run.wait_eos(10000));
    const auto out = run.output();
    EXPECT_EQ(out.caps, format == "ulaw_8000" ? "audio/x-mulaw, rate=(int)8000, channels=(int)1"
                                              : "audio/x-raw, format=(string)S16LE, rate=(int)16000, channels=(int)1, "
                                                "layout=(string)interleaved");
    ASSERT_FALSE(out.audio.empty());
    EXPECT_EQ(out.audio, FakeElevenLabsTts::tone(format, out.audio.size()));
    const auto streams = fake_.streams();
    ASSERT_FALSE(streams.empty());
    EXPECT_EQ(out.audio.size(), streams.back().audio_bytes);
    EXPECT_TRUE(streams.back().end_of_input);
    EXPECT_NE(streams.back().text.find("Hello there, caller."), std::string::npos);
    EXPECT_NE(streams.back().text.find("Goodbye."), std::string::npos);
    // One mark, after every byte; contiguous timestamps from 0.
    ASSERT_EQ(out.marks.size(), 1u);
    EXPECT_EQ(out.marks[0].first, out.audio.size());
    EXPECT_EQ(out.marks[0].second, "tts-1");
    ASSERT_FALSE(out.pts.empty());
    EXPECT_EQ(out.pts[0], 0u);
    for (std::size_t i = 1; i < out.pts.size(); ++i) EXPECT_EQ(out.pts[i], out.ends[i - 1]);
    const std::size_t bytes_per_second = format == "ulaw_8000" ? 8000 : 32000;
    EXPECT_EQ(out.ends.back(), gst_util_uint64_scale(out.audio.size(), GST_SECOND, bytes_per_second));
    EXPECT_TRUE(out.errors.empty());
  }
}

TEST_F(ElevenLabsTtsElement, AFlaggedBufferIsFlushedWithoutEndingTheInput) {
  TtsRun run(element());
  ASSERT_TRUE(run.play());
  run.push_text("Short.", true);
  // 7 characters at 20 ms in mu-law: 1120 bytes, spoken before any end of input.
  ASSERT_TRUE(run.wait_audio_bytes(1120, 10000));
  auto streams = fake_.streams();
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(streams[0].flushes, 1);
  EXPECT_FALSE(streams[0].end_of_input);
  EXPECT_FALSE(run.output().eos);
  run.end_input();
  ASSERT_TRUE(run.wait_eos(10000));
  EXPECT_EQ(run.output().marks.size(), 1u);
}

TEST_F(ElevenLabsTtsElement, TheTextPropertyIsTheWholeJobAndHangsUpWhenAsked) {
  GstElement* e = element();
  g_object_set(e, "text", "Your appointment is confirmed.", "hangup-when-done", TRUE, nullptr);
  TtsRun run(e);
  ASSERT_TRUE(run.play());
  ASSERT_TRUE(run.wait_eos(10000));
  auto out = run.output();
  // 30 characters + the trailing space at 20 ms, mu-law.
  EXPECT_EQ(out.audio.size(), 31u * 160u);
  EXPECT_EQ(out.audio, FakeElevenLabsTts::tone("ulaw_8000", out.audio.size()));
  ASSERT_EQ(out.marks.size(), 1u);
  EXPECT_EQ(out.marks[0].first, out.audio.size());
  for (int i = 0; i < 100 && run.output().element_messages.empty(); ++i) g_usleep(10000);
  out = run.output();
  ASSERT_FALSE(out.element_messages.empty());
  EXPECT_EQ(out.element_messages.back(), "mediaflow-hangup");
}

TEST_F(ElevenLabsTtsElement, AnInterruptionDropsQueuedAudioAndTheConnection) {
  fake_.set_reply_delay_ms(300);
  TtsRun run(element());
  ASSERT_TRUE(run.play());
  run.push_text(std::string(200, 'a'), true);  // 4 s of speech, in messages after 300 ms
  run.interrupt();
  run.push_text("New.", true);
  run.end_input();
  ASSERT_TRUE(run.wait_eos(10000));
  const auto out = run.output();
  EXPECT_EQ(out.interruptions, 1);
  // Only the new text's speech (5 characters) came out: the old was dropped with its connection.
  EXPECT_EQ(out.audio.size(), 5u * 160u);
  EXPECT_EQ(out.audio, FakeElevenLabsTts::tone("ulaw_8000", out.audio.size()));
  const auto streams = fake_.streams();
  ASSERT_FALSE(streams.empty());
  EXPECT_EQ(streams.back().text.find('a'), std::string::npos);  // a new connection for the new text
  ASSERT_EQ(out.marks.size(), 1u);
  EXPECT_EQ(out.marks[0].first, out.audio.size());
}

TEST_F(ElevenLabsTtsElement, ARefusedKeyIsAnErrorUnderCloseCallAndAWarningUnderContinue) {
  {
    TtsRun run(element("ulaw_8000", "wrong-key"));
    ASSERT_TRUE(run.play());
    run.push_text("Hello.");
    run.end_input();
    ASSERT_TRUE(run.wait_message(true, 10000));
    EXPECT_NE(run.output().errors[0].find("ElevenLabs"), std::string::npos);
  }
  {
    GstElement* e = element("ulaw_8000", "wrong-key");
    gst_util_set_object_arg(G_OBJECT(e), "on-failure", "continue");
    TtsRun run(e);
    ASSERT_TRUE(run.play());
    run.push_text("Hello.");
    run.end_input();
    ASSERT_TRUE(run.wait_message(false, 10000));
    ASSERT_TRUE(run.wait_eos(10000));
    const auto out = run.output();
    EXPECT_TRUE(out.errors.empty());
    EXPECT_TRUE(out.audio.empty());
  }
  EXPECT_EQ(fake_.handshakes(), 2);  // never retried
}

}  // namespace
