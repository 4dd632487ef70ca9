// What every ASR element must do, whatever its vendor. One entry in asr_setups() per ASR
// plugin: the element name and how to prepare it (start its fake vendor, set properties).
#include "support/asr_run.hpp"
#include "support/fake_deepgram.hpp"
#include "support/paths.hpp"
#include "support/spoken_audio.hpp"

#include <mediaflow/plugin_registry.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <memory>
#include <string>

namespace {

using mediaflow::test::AsrInput;
using mediaflow::test::AsrRun;

// Whatever an element needs to run in a test (a fake vendor server …), alive for the test.
struct AsrFixture {
  virtual ~AsrFixture() = default;
  // Make the vendor send unreadable/unknown messages; false when the setup has no vendor.
  virtual bool send_garbage() { return false; }
};

struct AsrSetup {
  std::string name;     // test name suffix
  std::string element;  // factory name
  // Prepares the environment and configures `element`.
  std::function<std::unique_ptr<AsrFixture>(GstElement* element)> prepare;
  // `seconds` of 16 kHz S16LE speech for this element. Unset: a deterministic synthetic
  // signal, enough for a faked vendor; a real recogniser needs real words.
  std::function<std::vector<std::uint8_t>(double seconds)> speech = {};
  // A remote vendor (faked here) that can misbehave: these setups also run the vendor tests.
  bool vendor = false;
};

// Keeps ctest names readable (gtest would print the struct's bytes).
void PrintTo(const AsrSetup& setup, std::ostream* os) { *os << setup.name; }

struct DeepgramFixture : AsrFixture {
  mediaflow::test::FakeDeepgram fake{"conformance-key"};
  bool send_garbage() override {
    fake.send_garbage(true);
    return true;
  }
};

std::vector<AsrSetup> asr_setups() {
  return {
      {"deepgram", "deepgramasr",
       [](GstElement* e) -> std::unique_ptr<AsrFixture> {
         auto f = std::make_unique<DeepgramFixture>();
         f->fake.start();
         g_object_set(e, "url", f->fake.url().c_str(), "api-key", "conformance-key", "finalize-timeout", 3000u,
                      nullptr);
         return f;
       },
       {},
       /*vendor=*/true},
      // Offline, no vendor: a yes/no grammar so the decoder starts in milliseconds.
      {"pocketsphinx", "sphinxasr",
       [](GstElement* e) -> std::unique_ptr<AsrFixture> {
         g_object_set(e, "keywords", "yes, no", nullptr);
         return std::make_unique<AsrFixture>();
       },
       [](double seconds) {
         // espeak-ng saying the keywords, one every 1.2 s from 0.3 s.
         std::vector<std::pair<double, std::string>> words;
         for (double t = 0.3; t < seconds; t += 1.2) words.emplace_back(t, words.size() % 2 ? "no" : "yes");
         return mediaflow::test::speech_at(words, seconds);
       }},
  };
}

class AsrConformance : public ::testing::TestWithParam<AsrSetup> {
 protected:
  void SetUp() override {
    gst_init(nullptr, nullptr);
    mediaflow::load_plugins(mediaflow::test::plugin_dir());
  }

  AsrRun run(const AsrInput& in) {
    GstElement* e = gst_element_factory_make(GetParam().element.c_str(), nullptr);
    EXPECT_NE(e, nullptr) << GetParam().element;
    if (!e) return {};
    fixture_ = GetParam().prepare(e);
    if (garbage_) garbage_supported_ = fixture_->send_garbage();
    return mediaflow::test::run_asr(e, in);
  }

  static AsrInput speech(double seconds) {
    AsrInput in;
    const auto& make = GetParam().speech;
    in.audio = make ? make(seconds) : mediaflow::test::test_speech_s16(seconds);
    return in;
  }

  std::unique_ptr<AsrFixture> fixture_;
  bool garbage_ = false;
  bool garbage_supported_ = false;
};

::testing::AssertionResult has_field(const GstStructure* s, const char* field, GType type) {
  const GValue* v = gst_structure_get_value(s, field);
  if (!v) return ::testing::AssertionFailure() << gst_structure_get_name(s) << " lacks " << field;
  if (G_VALUE_TYPE(v) != type)
    return ::testing::AssertionFailure() << gst_structure_get_name(s) << "." << field << " is a "
                                         << G_VALUE_TYPE_NAME(v) << ", not " << g_type_name(type);
  return ::testing::AssertionSuccess();
}

void expect_schema(const AsrRun& run) {
  for (const auto* s : run.named("mediaflow-transcript")) {
    EXPECT_TRUE(has_field(s, "vendor", G_TYPE_STRING));
    EXPECT_TRUE(has_field(s, "text", G_TYPE_STRING));
    EXPECT_TRUE(has_field(s, "is-final", G_TYPE_BOOLEAN));
    EXPECT_TRUE(has_field(s, "end-of-utterance", G_TYPE_BOOLEAN));
    EXPECT_TRUE(has_field(s, "start", G_TYPE_DOUBLE));
    EXPECT_TRUE(has_field(s, "duration", G_TYPE_DOUBLE));
    EXPECT_TRUE(has_field(s, "confidence", G_TYPE_DOUBLE));
    EXPECT_TRUE(has_field(s, "channel", G_TYPE_INT));
    if (const GValue* words = gst_structure_get_value(s, "words")) {
      ASSERT_EQ(G_VALUE_TYPE(words), GST_TYPE_LIST);
      for (guint i = 0; i < gst_value_list_get_size(words); ++i) {
        const GValue* w = gst_value_list_get_value(words, i);
        ASSERT_EQ(G_VALUE_TYPE(w), GST_TYPE_STRUCTURE);
        const GstStructure* ws = gst_value_get_structure(w);
        EXPECT_TRUE(gst_structure_has_name(ws, "word"));
        EXPECT_TRUE(has_field(ws, "word", G_TYPE_STRING));
        EXPECT_TRUE(has_field(ws, "start", G_TYPE_DOUBLE));
        EXPECT_TRUE(has_field(ws, "end", G_TYPE_DOUBLE));
        EXPECT_TRUE(has_field(ws, "confidence", G_TYPE_DOUBLE));
        if (gst_structure_has_field(ws, "punctuated")) {
          EXPECT_TRUE(has_field(ws, "punctuated", G_TYPE_STRING));
        }
      }
    }
  }
  for (const auto* s : run.named("mediaflow-speech-started")) {
    EXPECT_TRUE(has_field(s, "vendor", G_TYPE_STRING));
    EXPECT_TRUE(has_field(s, "timestamp", G_TYPE_DOUBLE));
  }
  for (const auto* s : run.named("mediaflow-utterance-end")) {
    EXPECT_TRUE(has_field(s, "vendor", G_TYPE_STRING));
    EXPECT_TRUE(has_field(s, "last-word-end", G_TYPE_DOUBLE));
  }
}

double get(const GstStructure* s, const char* f) {
  double v = -1;
  gst_structure_get_double(s, f, &v);
  return v;
}

bool is_final(const GstStructure* s) {
  gboolean v = FALSE;
  gst_structure_get_boolean(s, "is-final", &v);
  return v;
}

// Final transcripts in order, inside [first, first + length] of call time, words inside them.
void expect_call_time(const AsrRun& run, double first, double length) {
  constexpr double kSlack = 0.05;
  double last_start = first - kSlack;
  for (const auto* s : run.named("mediaflow-transcript")) {
    const double start = get(s, "start"), duration = get(s, "duration");
    EXPECT_GE(start, first - kSlack);
    EXPECT_GE(duration, 0.0);
    EXPECT_LE(start + duration, first + length + kSlack);
    if (is_final(s)) {
      EXPECT_GE(start, last_start) << "final transcripts go back in time";
      last_start = start;
    }
    if (const GValue* words = gst_structure_get_value(s, "words")) {
      for (guint i = 0; i < gst_value_list_get_size(words); ++i) {
        const GstStructure* w = gst_value_get_structure(gst_value_list_get_value(words, i));
        EXPECT_GE(get(w, "start"), start - kSlack);
        EXPECT_LE(get(w, "end"), start + duration + kSlack);
        EXPECT_LE(get(w, "start"), get(w, "end"));
      }
    }
  }
  for (const auto* s : run.named("mediaflow-speech-started")) {
    EXPECT_GE(get(s, "timestamp"), first - kSlack);
    EXPECT_LE(get(s, "timestamp"), first + length + kSlack);
  }
  for (const auto* s : run.named("mediaflow-utterance-end")) {
    EXPECT_GE(get(s, "last-word-end"), first - kSlack);
    EXPECT_LE(get(s, "last-word-end"), first + length + kSlack);
  }
}

TEST_P(AsrConformance, SpeechGivesFinalTranscriptsInTheSchemaBeforeEos) {
  AsrRun r = run(speech(3.0));
  ASSERT_TRUE(r.eos) << "no EOS within the bound";
  EXPECT_TRUE(r.errors.empty());
  EXPECT_GE(r.finals().size(), 1u);
  expect_schema(r);
}

TEST_P(AsrConformance, OffsetsAreCallTimeMonotonicAndWithinTheAudio) {
  AsrRun r = run(speech(3.0));
  ASSERT_TRUE(r.eos);
  ASSERT_GE(r.finals().size(), 1u);
  expect_call_time(r, 0.0, 3.0);
}

TEST_P(AsrConformance, OffsetsFollowTheRunningTimeOfTheInput) {
  AsrInput in = speech(2.0);
  in.first_pts_ns = 7 * GST_SECOND;  // the element joined the call 7 s in
  AsrRun r = run(in);
  ASSERT_TRUE(r.eos);
  ASSERT_GE(r.finals().size(), 1u);
  expect_call_time(r, 7.0, 2.0);
}

TEST_P(AsrConformance, SilenceEndsCleanly) {
  AsrInput in;
  in.audio.assign(2 * 32000, 0);
  AsrRun r = run(in);
  ASSERT_TRUE(r.eos);
  EXPECT_TRUE(r.errors.empty());
  expect_schema(r);
  expect_call_time(r, 0.0, 2.0);
}

TEST_P(AsrConformance, VeryShortCallEndsCleanly) {
  AsrRun r = run(speech(0.06));
  ASSERT_TRUE(r.eos);
  EXPECT_TRUE(r.errors.empty());
  expect_schema(r);
  expect_call_time(r, 0.0, 0.06);
}

TEST_P(AsrConformance, CallWithoutAudioEndsCleanly) {
  AsrRun r = run(AsrInput{});
  ASSERT_TRUE(r.eos);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.finals().size(), 0u);
}

// The vendor-facing part of the suite, for setups with a remote vendor.
class AsrVendorConformance : public AsrConformance {};

std::vector<AsrSetup> vendor_asr_setups() {
  auto all = asr_setups();
  std::erase_if(all, [](const AsrSetup& s) { return !s.vendor; });
  return all;
}

TEST_P(AsrVendorConformance, GarbageFromTheVendorIsIgnored) {
  garbage_ = true;
  AsrRun r = run(speech(2.5));
  ASSERT_TRUE(garbage_supported_) << GetParam().name << ": its fixture cannot make the vendor send garbage";
  ASSERT_TRUE(r.eos);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_GE(r.finals().size(), 2u);
  expect_schema(r);
  expect_call_time(r, 0.0, 2.5);
}

INSTANTIATE_TEST_SUITE_P(Asr, AsrConformance, ::testing::ValuesIn(asr_setups()),
                         [](const ::testing::TestParamInfo<AsrSetup>& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Asr, AsrVendorConformance, ::testing::ValuesIn(vendor_asr_setups()),
                         [](const ::testing::TestParamInfo<AsrSetup>& info) { return info.param.name; });

}  // namespace
