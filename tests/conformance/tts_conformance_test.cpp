// What every TTS element must do, whatever its vendor: text in on a `text/x-raw,format=utf8`
// sink pad, the vendor's speech out in the caps the element announces, one `mediaflow-mark`
// after the last audio of an input, EOS after the end of input, an interruption passed on
// downstream, and a refused key reported under on-failure. One row of tts_setups() per TTS
// element: its factory, the fake of its vendor and the properties a pipeline file would set.
// What differs between vendors (the fake's speech) lives in the small VendorFake adapters,
// never in a test body.
#include "support/fake_elevenlabs_tts.hpp"
#include "support/paths.hpp"
#include "support/tts_run.hpp"

#include <mediaflow/plugin_api.h>
#include <mediaflow/plugin_registry.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace {

using mediaflow::test::FakeElevenLabsTts;
using mediaflow::test::TtsRun;

constexpr const char* kKey = "conformance-key";
constexpr const char* kWrongKey = "wrong-conformance-key";

// A vendor's fake, as the suite needs it.
struct VendorFake {
  virtual ~VendorFake() = default;
  virtual std::string url() const = 0;
  // The first `bytes` bytes the fake speaks for any text, in the element's format.
  virtual std::vector<std::uint8_t> speech(std::size_t bytes) const = 0;
  // Every byte of speech the fake sent on its last connection.
  virtual std::uint64_t last_connection_bytes() const = 0;
};

struct ElevenLabsTtsFake : VendorFake {
  FakeElevenLabsTts fake{kKey};
  std::string format;
  explicit ElevenLabsTtsFake(std::string f) : format(std::move(f)) { fake.start(); }
  std::string url() const override { return fake.url(); }
  std::vector<std::uint8_t> speech(std::size_t bytes) const override { return FakeElevenLabsTts::tone(format, bytes); }
  std::uint64_t last_connection_bytes() const override {
    const auto s = fake.streams();
    return s.empty() ? 0 : s.back().audio_bytes;
  }
};

struct TtsSetup {
  std::string name;  // the row's name in test names
  std::string element;
  std::function<std::unique_ptr<VendorFake>()> fake;
  std::map<std::string, std::string> properties;  // as a pipeline file sets them
  std::string caps;  // what the src pad must announce with these properties
  std::size_t bytes_per_second;
};

std::ostream& operator<<(std::ostream& os, const TtsSetup& s) { return os << s.name; }

std::vector<TtsSetup> tts_setups() {
  return {
      {"elevenlabstts_ulaw", "elevenlabstts", [] { return std::make_unique<ElevenLabsTtsFake>("ulaw_8000"); },
       {{"voice-id", "voice_1"}, {"output-format", "ulaw_8000"}},
       "audio/x-mulaw, rate=(int)8000, channels=(int)1", 8000},
      {"elevenlabstts_pcm16k", "elevenlabstts", [] { return std::make_unique<ElevenLabsTtsFake>("pcm_16000"); },
       {{"voice-id", "voice_1"}, {"output-format", "pcm_16000"}},
       "audio/x-raw, format=(string)S16LE, rate=(int)16000, channels=(int)1, layout=(string)interleaved", 32000},
  };
}

class TtsConformance : public ::testing::TestWithParam<TtsSetup> {
 protected:
  void SetUp() override {
    gst_init(nullptr, nullptr);
    mediaflow::load_plugins(mediaflow::test::plugin_dir());
    vendor_ = GetParam().fake();
  }
  GstElement* element(const char* key = kKey) {
    GstElement* e = gst_element_factory_make(GetParam().element.c_str(), nullptr);
    EXPECT_NE(e, nullptr) << GetParam().element;
    if (!e) return nullptr;
    g_object_set(e, "url", vendor_->url().c_str(), "api-key", key, nullptr);
    for (const auto& [name, value] : GetParam().properties) gst_util_set_object_arg(G_OBJECT(e), name.c_str(), value.c_str());
    return e;
  }
  std::unique_ptr<VendorFake> vendor_;
};

TEST_P(TtsConformance, SpeaksTextInItsAnnouncedFormatThenMarksAndEnds) {
  TtsRun run(element());
  ASSERT_TRUE(run.play());
  run.push_text("The quick brown fox.");
  run.push_text("Jumps over the lazy dog.");
  run.end_input();
  ASSERT_TRUE(run.wait_eos(15000));
  const auto out = run.output();
  EXPECT_EQ(out.caps, GetParam().caps);
  ASSERT_FALSE(out.audio.empty());
  EXPECT_EQ(out.audio, vendor_->speech(out.audio.size()));
  EXPECT_EQ(out.audio.size(), vendor_->last_connection_bytes());
  ASSERT_EQ(out.marks.size(), 1u);
  EXPECT_EQ(out.marks[0].first, out.audio.size());
  EXPECT_EQ(out.pts.front(), 0u);
  EXPECT_EQ(out.ends.back(), gst_util_uint64_scale(out.audio.size(), GST_SECOND, GetParam().bytes_per_second));
  EXPECT_TRUE(out.errors.empty());
  EXPECT_TRUE(out.warnings.empty());
}

TEST_P(TtsConformance, PassesAnInterruptionDownstream) {
  TtsRun run(element());
  ASSERT_TRUE(run.play());
  run.interrupt();
  run.end_input();
  ASSERT_TRUE(run.wait_eos(15000));
  EXPECT_EQ(run.output().interruptions, 1);
}

TEST_P(TtsConformance, ARefusedKeyIsAnErrorUnderCloseCallAndAWarningUnderContinue) {
  for (const char* policy : {"close-call", "continue"}) {
    SCOPED_TRACE(policy);
    GstElement* e = element(kWrongKey);
    gst_util_set_object_arg(G_OBJECT(e), "on-failure", policy);
    TtsRun run(e);
    ASSERT_TRUE(run.play());
    run.push_text("Hello.");
    run.end_input();
    const bool close_call = std::string(policy) == "close-call";
    ASSERT_TRUE(run.wait_message(close_call, 15000));
    const auto out = run.output();
    EXPECT_TRUE(out.audio.empty());
    EXPECT_TRUE((close_call ? out.warnings : out.errors).empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Tts, TtsConformance, ::testing::ValuesIn(tts_setups()),
                         [](const ::testing::TestParamInfo<TtsSetup>& info) { return info.param.name; });

// A new TTS plugin cannot skip the suite: every element of role tts the plugins bring has a row.
TEST(TtsConformanceTable, EveryTtsElementOfThePluginsIsInTheSuite) {
  gst_init(nullptr, nullptr);
  mediaflow::load_plugins(mediaflow::test::plugin_dir());
  std::set<std::string> covered;
  for (const auto& s : tts_setups()) covered.insert(s.element);
  int tts_elements = 0;
  for (const auto& plugin : mediaflow::loaded_plugins())
    for (const auto& e : plugin.elements)
      if (e.role == mediaflow::role::kTts) {
        ++tts_elements;
        EXPECT_TRUE(covered.count(e.name)) << e.name << " (plugin " << plugin.name << ") is not in tts_setups()";
      }
  EXPECT_GE(tts_elements, 1);
}

}  // namespace
