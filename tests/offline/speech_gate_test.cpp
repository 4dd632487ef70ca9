// speechgate's decision logic and level measure (plain C++, plugins/asr_pocketsphinx/
// speech_gate.hpp), and sphinxasr behind the gate: speech after long silences is still
// recognised at its call time, and silence is never given to the decoder (its `decoded`
// counter), with real espeak-ng speech.
#include "speech_gate.hpp"

#include "support/asr_run.hpp"
#include "support/paths.hpp"
#include "support/spoken_audio.hpp"

#include <mediaflow/plugin_registry.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace mediaflow::test {
namespace {

using sphinx::SpeechGate;
using Action = SpeechGate::Action;
constexpr std::uint64_t kFrame = 20'000'000;  // 20 ms

TEST(SpeechGateLogic, QuietAudioIsHeldAndTheFirstLoudBufferReleasesIt) {
  SpeechGate gate;  // threshold -45 dBFS
  for (int i = 0; i < 100; ++i) EXPECT_EQ(gate.next(-70, kFrame), Action::kHold);
  EXPECT_FALSE(gate.is_open());
  EXPECT_EQ(gate.next(-20, kFrame), Action::kRelease);
  EXPECT_TRUE(gate.is_open());
  EXPECT_EQ(gate.next(-25, kFrame), Action::kPass);
}

TEST(SpeechGateLogic, ClosesOnlyAfterTheHangoverOfQuietAudio) {
  SpeechGate gate({-45, 500'000'000, 1'000'000'000});
  gate.next(-20, kFrame);
  // 1 s of quiet audio (50 frames) still passes; the gate closes with the 50th.
  for (int i = 0; i < 50; ++i) EXPECT_EQ(gate.next(-70, kFrame), Action::kPass) << i;
  EXPECT_FALSE(gate.is_open());
  EXPECT_EQ(gate.next(-70, kFrame), Action::kHold);
  // A loud buffer in the hangover restarts it.
  gate.next(-20, kFrame);
  for (int i = 0; i < 30; ++i) gate.next(-70, kFrame);
  gate.next(-20, kFrame);
  for (int i = 0; i < 49; ++i) EXPECT_EQ(gate.next(-70, kFrame), Action::kPass);
  EXPECT_TRUE(gate.is_open());
}

TEST(SpeechGateLogic, LevelIsRmsInDbfs) {
  std::vector<std::int16_t> sine(1600);
  for (std::size_t i = 0; i < sine.size(); ++i) sine[i] = std::int16_t(32767 * std::sin(2 * M_PI * 400 * i / 16000.0));
  EXPECT_NEAR(sphinx::level_dbfs_s16(sine.data(), sine.size()), -3.01, 0.05);
  std::vector<float> quiet(1600);
  for (std::size_t i = 0; i < quiet.size(); ++i) quiet[i] = 0.01f * float(std::sin(2 * M_PI * 400 * i / 16000.0));
  EXPECT_NEAR(sphinx::level_dbfs_f32(quiet.data(), quiet.size()), -43.01, 0.05);
  std::vector<std::int16_t> zero(320, 0);
  EXPECT_LT(sphinx::level_dbfs_s16(zero.data(), zero.size()), -150);
  EXPECT_LT(sphinx::level_dbfs_s16(nullptr, 0), -150);
}

// ±40 of 32767 (≈ -63 dBFS RMS) added over the whole audio, as on a quiet phone line.
void add_line_noise(std::vector<std::uint8_t>& s16) {
  guint32 seed = 7;
  for (std::size_t i = 0; i + 1 < s16.size(); i += 2) {
    seed = seed * 1103515245u + 12345u;
    int v = std::int16_t(s16[i] | (s16[i + 1] << 8)) + static_cast<int>((seed >> 16) % 81) - 40;
    v = std::clamp(v, -32768, 32767);
    s16[i] = static_cast<std::uint8_t>(v & 0xff);
    s16[i + 1] = static_cast<std::uint8_t>((v >> 8) & 0xff);
  }
}

class GatedAsr : public ::testing::Test {
 protected:
  void SetUp() override {
    gst_init(nullptr, nullptr);
    load_plugins(plugin_dir());
  }
  // Runs sphinxasr (yes/no grammar) on `in`; *decoded = its `decoded` counter afterwards.
  static AsrRun run(const AsrInput& in, double* decoded_seconds) {
    GstElement* e = gst_element_factory_make("sphinxasr", nullptr);
    EXPECT_NE(e, nullptr);
    if (!e) return {};
    g_object_set(e, "keywords", "yes, no", nullptr);
    gst_object_ref_sink(e);  // our own reference, to read the counter after the run
    AsrRun r = run_asr(GST_ELEMENT(gst_object_ref(e)), in);
    guint64 decoded = 0;
    g_object_get(e, "decoded", &decoded, nullptr);
    *decoded_seconds = double(decoded) / GST_SECOND;
    gst_object_unref(e);
    return r;
  }
};



TEST_F(GatedAsr, SpeechAfterLongSilencesIsRecognisedAtItsCallTime) {
  AsrInput in;
  in.audio = speech_at({{1.0, "yes"}, {8.0, "no"}, {15.0, "yes"}}, 17.0);
  add_line_noise(in.audio);
  in.first_pts_ns = 3 * GST_SECOND;  // the call was 3 s old when this audio began
  double decoded = 0;
  AsrRun r = run(in, &decoded);
  ASSERT_TRUE(r.eos);
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  auto f = r.finals();
  ASSERT_EQ(f.size(), 3u);
  EXPECT_STREQ(gst_structure_get_string(f[0], "text"), "yes");
  EXPECT_STREQ(gst_structure_get_string(f[1], "text"), "no");
  EXPECT_STREQ(gst_structure_get_string(f[2], "text"), "yes");
  // Word times are call times across the stretches the decoder never saw.
  EXPECT_NEAR(field(f[0], "start"), 4.0, 0.3);
  EXPECT_NEAR(field(f[1], "start"), 11.0, 0.3);
  EXPECT_NEAR(field(f[2], "start"), 18.0, 0.3);
  auto started = r.named("mediaflow-speech-started");
  ASSERT_EQ(started.size(), 3u);
  EXPECT_NEAR(field(started[1], "timestamp"), 11.0, 0.3);
  EXPECT_NEAR(field(started[2], "timestamp"), 18.0, 0.3);
  // Three words of ~0.5 s, each with ≤ 0.5 s pre-roll and ~1 s hangover: well under half of
  // the 17 s were decoded, and each word was.
  EXPECT_GT(decoded, 3 * 0.4);
  EXPECT_LT(decoded, 8.0);
}

TEST_F(GatedAsr, SilenceAndLineNoiseAreNeverDecoded) {
  AsrInput in;
  in.audio.assign(10 * 32000, 0);
  add_line_noise(in.audio);
  double decoded = -1;
  AsrRun r = run(in, &decoded);
  ASSERT_TRUE(r.eos);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(r.named("mediaflow-transcript").empty());
  EXPECT_EQ(decoded, 0.0);
}

TEST_F(GatedAsr, AThresholdOfMinus100DecodesEveryNonZeroBuffer) {
  AsrInput in;
  in.audio.assign(2 * 32000, 0);
  add_line_noise(in.audio);
  GstElement* e = gst_element_factory_make("sphinxasr", nullptr);
  ASSERT_NE(e, nullptr);
  g_object_set(e, "keywords", "yes, no", "speech-threshold", -100.0, nullptr);
  gst_object_ref_sink(e);
  AsrRun r = run_asr(GST_ELEMENT(gst_object_ref(e)), in);
  guint64 decoded = 0;
  g_object_get(e, "decoded", &decoded, nullptr);
  gst_object_unref(e);
  ASSERT_TRUE(r.eos);
  EXPECT_NEAR(double(decoded) / GST_SECOND, 2.0, 0.05);
}

}  // namespace
}  // namespace mediaflow::test
