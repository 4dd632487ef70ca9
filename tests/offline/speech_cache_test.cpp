// The offline agent's process-wide speech cache (plugins/agent_offline/speech_cache.hpp):
// sentences come back at the requested rate with the same duration, are synthesised once
// per process and shared, and failures are reported, not cached. And espeakagent with
// rate=8000 feeds mulawenc directly (no resampler per call).
#include "espeak_synth.hpp"
#include "speech_cache.hpp"

#include "support/agent_call.hpp"
#include "support/paths.hpp"

#include <mediaflow/plugin_registry.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <thread>

namespace mediaflow::offline_agent {
namespace {

int peak(const std::vector<std::int16_t>& s) {
  int p = 0;
  for (auto v : s) p = std::max(p, std::abs(int(v)));
  return p;
}

TEST(OfflineAgentSpeech, SentencesComeAtTheRequestedRateWithTheSameDuration) {
  auto native = speak("You said yes.", "en-us", 170, kEspeakRate);
  auto phone = speak("You said yes.", "en-us", 170, 8000);
  ASSERT_TRUE(native.error.empty() && phone.error.empty());
  const double native_s = double(native.samples->size()) / kEspeakRate;
  const double phone_s = double(phone.samples->size()) / 8000;
  EXPECT_GT(native_s, 0.5);
  EXPECT_NEAR(phone_s, native_s, 0.002);
  EXPECT_GT(peak(*phone.samples), 3000) << "speech, not silence";
}

TEST(OfflineAgentSpeech, ResamplingKeepsATonesPitchAndLevel) {
  std::vector<std::int16_t> tone(kEspeakRate);  // 1 s of 1 kHz at half scale
  for (std::size_t i = 0; i < tone.size(); ++i) tone[i] = std::int16_t(16384 * std::sin(2 * M_PI * 1000 * i / kEspeakRate));
  auto out = resample(tone, kEspeakRate, 8000);
  ASSERT_EQ(out.size(), 8000u);
  // Zero crossings of 1 kHz: ~2000 in 1 s; level: peak ≈ 16384 away from the edges.
  int crossings = 0;
  for (std::size_t i = 1; i < out.size(); ++i) crossings += (out[i - 1] < 0) != (out[i] < 0);
  EXPECT_NEAR(crossings, 2000, 4);
  std::vector<std::int16_t> middle(out.begin() + 1000, out.end() - 1000);
  EXPECT_NEAR(peak(middle), 16384, 400);
}

TEST(OfflineAgentSpeech, EachSentenceIsSynthesisedOnceAndShared) {
  auto a = speak("Shared sentence for the cache test.", "en-us", 170, 8000);
  auto b = speak("Shared sentence for the cache test.", "en-us", 170, 8000);
  ASSERT_TRUE(a.error.empty());
  EXPECT_EQ(a.samples.get(), b.samples.get()) << "the same samples, not a second synthesis";
  auto other_rate = speak("Shared sentence for the cache test.", "en-us", 170, 16000);
  EXPECT_NE(other_rate.samples.get(), a.samples.get());
  auto bad = speak("yes", "no-such-voice-xx", 170, 8000);
  EXPECT_FALSE(bad.error.empty());
  EXPECT_EQ(bad.samples, nullptr);
}

// What espeakagent answers inline from: a lookup that never synthesises.
TEST(OfflineAgentSpeech, CachedSpeechIsOnlyWhatWasSynthesisedBefore) {
  EXPECT_EQ(cached_speech("Not said before.", "en-us", 170, 8000), nullptr);
  EXPECT_EQ(cached_speech("Not said before.", "en-us", 170, 8000), nullptr) << "the lookup did not synthesise it";
  auto said = speak("Not said before.", "en-us", 170, 8000);
  ASSERT_TRUE(said.error.empty());
  EXPECT_EQ(cached_speech("Not said before.", "en-us", 170, 8000).get(), said.samples.get());
  EXPECT_EQ(cached_speech("Not said before.", "en-us", 200, 8000), nullptr) << "another speaking rate";
}

TEST(OfflineAgentSpeech, CallsAskingTogetherShareOneSynthesis) {
  std::vector<SpeechResult> results(4);
  std::vector<std::thread> threads;
  for (auto& r : results) threads.emplace_back([&r] { r = speak("Four calls greet at once.", "en-us", 170, 8000); });
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.error.empty());
    EXPECT_EQ(r.samples.get(), results[0].samples.get());
  }
}

TEST(OfflineAgentSpeech, AgentAt8kHzFeedsMulawencWithoutAResampler) {
  gst_init(nullptr, nullptr);
  load_plugins(test::plugin_dir());
  GError* err = nullptr;
  GstElement* bin = gst_parse_bin_from_description(
      "espeakagent rate=8000 greeting=\"Hello there.\" ! audio/x-raw,format=S16LE,rate=8000,channels=1 ! mulawenc",
      TRUE, &err);
  ASSERT_EQ(err, nullptr) << err->message;
  test::AgentCall call(bin, "audio/x-raw,format=S16LE,rate=8000,channels=1,layout=interleaved", 16000);
  call.start();
  auto responded = [&] {
    auto events = call.agent_events("agent_response");
    for (auto* e : events) gst_structure_free(e);
    return !events.empty();
  };
  ASSERT_TRUE(call.wait(responded));
  call.push_chunks(std::vector<std::uint8_t>(16000 * 2, 0), 320);  // 2 s of caller audio
  auto out = call.outbound();
  const auto frames = std::count_if(out.begin(), out.end(), [](const auto& m) { return m.event == "media"; });
  EXPECT_GT(frames, 25) << "the greeting (~0.8 s) went out";
  bool audible = false;
  for (const auto& m : out)
    for (auto byte : m.payload) audible |= (byte & 0x7F) < 0x50;
  EXPECT_TRUE(audible);
  auto started = call.agent_events("conversation_started");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_STREQ(gst_structure_get_string(started[0], "agent-output-format"), "pcm_8000");
  gst_structure_free(started[0]);
  call.eos();
  EXPECT_TRUE(call.wait([&] { return call.eos_seen(); }));
  EXPECT_TRUE(call.errors().empty());
}

}  // namespace
}  // namespace mediaflow::offline_agent
