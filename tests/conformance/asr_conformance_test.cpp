// What every ASR element must do, whatever its vendor (docs/transcript-schema.md). One row of
// asr_setups() per ASR element: its factory, the fake of its vendor (none for an offline
// recogniser) and the properties a pipeline file would set. Vendor elements share the base
// class's `url`, `api-key`, `finalize-timeout` and `on-failure`, so the suite sets those itself;
// what differs between vendors (how to make a fake drop a connection, what its finalize message
// is) lives in the small VendorFake adapters, never in a test body.
#include "support/asr_run.hpp"
#include "support/fake_assemblyai.hpp"
#include "support/fake_deepgram.hpp"
#include "support/paths.hpp"
#include "support/spoken_audio.hpp"

#include <mediaflow/plugin_api.h>
#include <mediaflow/plugin_registry.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {

using mediaflow::test::AsrInput;
using mediaflow::test::AsrRun;
using mediaflow::test::FakeAssemblyAi;
using mediaflow::test::FakeDeepgram;

constexpr const char* kKey = "conformance-key";
constexpr const char* kWrongKey = "wrong-conformance-key";

// A vendor's fake, as the suite needs it.
struct VendorFake {
  virtual ~VendorFake() = default;
  virtual std::string url() const = 0;
  // From now on: unreadable and unknown messages among the real ones.
  virtual void send_garbage() = 0;
  // The first connection ends, with a close the vendor documents as worth a retry, after it
  // has carried 1.5–2.5 s of audio and brought at least one final result (so some of its
  // audio is confirmed and some is not).
  virtual void drop_first_connection_mid_call() = 0;
  // Every audio byte each connection carried, in order.
  virtual std::vector<std::vector<std::uint8_t>> audio_per_connection() const = 0;
  // Connections attempted (refused handshakes included).
  virtual int connection_attempts() const = 0;
  // The last connection received the vendor's finalize message.
  virtual bool finalize_received() const = 0;
};

struct DeepgramFake : VendorFake {
  FakeDeepgram fake{kKey};
  DeepgramFake() { fake.start(); }
  std::string url() const override { return fake.url(); }
  void send_garbage() override { fake.send_garbage(true); }
  // It confirms each second with a final result; 1.5 s of 16 kHz S16LE, then close 1011.
  void drop_first_connection_mid_call() override { fake.drop_after_bytes(48000); }
  std::vector<std::vector<std::uint8_t>> audio_per_connection() const override {
    std::vector<std::vector<std::uint8_t>> out;
    for (const auto& c : fake.connections()) out.push_back(c.audio);
    return out;
  }
  int connection_attempts() const override { return fake.handshakes(); }
  bool finalize_received() const override {
    const auto c = fake.connections();
    return !c.empty() && c.back().close_stream;
  }
};

struct AssemblyAiFake : VendorFake {
  FakeAssemblyAi fake{kKey};
  AssemblyAiFake() { fake.start(); }
  std::string url() const override { return fake.url(); }
  void send_garbage() override { fake.send_garbage(true); }
  // Its first turn ends at 2.0 s; 25 messages of the default chunk-ms (100) are 2.5 s, then
  // Error + close 3005 (a server error: retry).
  void drop_first_connection_mid_call() override { fake.drop_after_messages(25); }
  std::vector<std::vector<std::uint8_t>> audio_per_connection() const override {
    std::vector<std::vector<std::uint8_t>> out;
    for (const auto& s : fake.sessions()) out.push_back(s.audio);
    return out;
  }
  int connection_attempts() const override { return fake.handshakes(); }
  bool finalize_received() const override {
    const auto s = fake.sessions();
    return !s.empty() && std::count(s.back().controls.begin(), s.back().controls.end(), "Terminate") == 1;
  }
};

struct AsrSetup {
  std::string name;     // test name suffix
  std::string element;  // factory name
  // The vendor's fake, started; unset: an offline recogniser (no vendor tests).
  std::function<std::unique_ptr<VendorFake>()> fake = {};
  // Set as a pipeline file would (gst_util_set_object_arg).
  std::vector<std::pair<std::string, std::string>> properties = {};
  // `seconds` of 16 kHz S16LE speech for this element. Unset: a deterministic synthetic
  // signal, enough for a faked vendor; a real recogniser needs real words.
  std::function<std::vector<std::uint8_t>(double seconds)> speech = {};
};

// Keeps ctest names readable (gtest would print the struct's bytes).
void PrintTo(const AsrSetup& setup, std::ostream* os) { *os << setup.name; }

std::vector<AsrSetup> asr_setups() {
  return {
      {"deepgram", "deepgramasr", [] { return std::make_unique<DeepgramFake>(); }},
      {"assemblyai", "assemblyaiasr", [] { return std::make_unique<AssemblyAiFake>(); }},
      // Offline, no vendor: a yes/no grammar so the decoder starts in milliseconds.
      {"pocketsphinx", "sphinxasr", {}, {{"keywords", "yes, no"}},
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
    if (GetParam().fake) vendor_ = GetParam().fake();
  }

  // The element as a pipeline would have it, talking to the fake with `key`.
  GstElement* element(const char* key = kKey) {
    GstElement* e = gst_element_factory_make(GetParam().element.c_str(), nullptr);
    EXPECT_NE(e, nullptr) << GetParam().element;
    if (!e) return nullptr;
    for (const auto& [name, value] : GetParam().properties) gst_util_set_object_arg(G_OBJECT(e), name.c_str(), value.c_str());
    if (vendor_) g_object_set(e, "url", vendor_->url().c_str(), "api-key", key, "finalize-timeout", 3000u, nullptr);
    return e;
  }

  AsrRun run(const AsrInput& in, GstElement* e = nullptr) {
    if (!e) e = element();
    if (!e) return {};
    return mediaflow::test::run_asr(e, in);
  }

  static AsrInput speech(double seconds) {
    AsrInput in;
    const auto& make = GetParam().speech;
    in.audio = make ? make(seconds) : mediaflow::test::test_speech_s16(seconds);
    return in;
  }

  std::unique_ptr<VendorFake> vendor_;
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

// In-band (docs/transcript-schema.md, "In-band"): the `transcript` pad carries every result
// the bus gets, in the same order, one per buffer, PTS = the result's call time; then EOS.
TEST_P(AsrConformance, TranscriptPadCarriesEveryResultAtItsCallTimeThenEos) {
  AsrInput in = speech(3.0);
  in.first_pts_ns = 4 * GST_SECOND;  // call time ≠ stream time: PTS must be call time
  in.link_transcript = true;
  AsrRun r = run(in);
  ASSERT_TRUE(r.eos) << "no EOS within the bound";
  ASSERT_GE(r.finals().size(), 1u);
  EXPECT_TRUE(r.transcript_eos) << "EOS did not come down the transcript pad";
  std::vector<const GstStructure*> results;
  for (const auto& m : r.messages) {
    const char* name = gst_structure_get_name(m.get());
    if (!g_strcmp0(name, "mediaflow-transcript") || !g_strcmp0(name, "mediaflow-speech-started") ||
        !g_strcmp0(name, "mediaflow-utterance-end"))
      results.push_back(m.get());
  }
  ASSERT_EQ(r.transcript_buffers.size(), results.size());
  auto ns = [](double s) { return static_cast<GstClockTime>(std::llround(s * GST_SECOND)); };
  for (std::size_t i = 0; i < results.size(); ++i) {
    const GstStructure* s = results[i];
    const auto& b = r.transcript_buffers[i];
    EXPECT_EQ(b.caps, "text/x-mediaflow-transcript");
    ASSERT_TRUE(b.result) << "buffer " << i << " is not a transcript result";
    EXPECT_EQ(b.result->type, gst_structure_get_name(s));
    EXPECT_EQ(b.result->vendor, gst_structure_get_string(s, "vendor"));
    if (gst_structure_has_name(s, "mediaflow-transcript")) {
      EXPECT_EQ(b.result->text, gst_structure_get_string(s, "text"));
      EXPECT_EQ(b.result->is_final, is_final(s));
      EXPECT_EQ(b.pts, ns(get(s, "start")));
      EXPECT_GE(b.result->start, 4.0 - 0.05);
    } else if (gst_structure_has_name(s, "mediaflow-speech-started")) {
      EXPECT_EQ(b.pts, ns(get(s, "timestamp")));
    } else {
      EXPECT_EQ(b.pts, ns(get(s, "last-word-end")));
    }
  }
}

TEST_P(AsrConformance, CallWithoutAudioEndsCleanly) {
  AsrRun r = run(AsrInput{});
  ASSERT_TRUE(r.eos);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.finals().size(), 0u);
}

// The vendor-facing part of the suite, for setups with a (faked) remote vendor.
class AsrVendorConformance : public AsrConformance {};

std::vector<AsrSetup> vendor_asr_setups() {
  auto all = asr_setups();
  std::erase_if(all, [](const AsrSetup& s) { return !s.fake; });
  return all;
}

// Final transcripts never cover the same call time twice: a replay that sent confirmed audio
// again, or the same audio twice, would show here as a repeated segment.
void expect_finals_do_not_overlap(const AsrRun& run) {
  constexpr double kSlack = 0.05;
  double end = -1;
  for (const auto* s : run.finals()) {
    EXPECT_GE(get(s, "start"), end - kSlack) << "a final transcript repeats call time before " << end;
    end = std::max(end, get(s, "start") + get(s, "duration"));
  }
}

bool mentions(const std::vector<std::string>& texts, const std::string& what) {
  return std::any_of(texts.begin(), texts.end(), [&](const std::string& t) { return t.find(what) != std::string::npos; });
}

TEST_P(AsrVendorConformance, GarbageFromTheVendorIsIgnored) {
  vendor_->send_garbage();
  AsrRun r = run(speech(2.5));
  ASSERT_TRUE(r.eos);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_GE(r.finals().size(), 2u);
  expect_schema(r);
  expect_call_time(r, 0.0, 2.5);
}

// The vendor drops the connection mid-call: one reconnect, and the vendor hears every byte —
// the first connection a prefix of the call, the second exactly the rest from the end of the
// audio the first one confirmed, each byte once.
TEST_P(AsrVendorConformance, DroppedConnectionReconnectsWithoutLosingOrRepeatingAudio) {
  vendor_->drop_first_connection_mid_call();
  AsrInput in = speech(4.0);
  AsrRun r = run(in);
  ASSERT_TRUE(r.eos);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(r.warnings.empty());
  ASSERT_EQ(r.named("mediaflow-vendor-reconnect").size(), 1u);
  const auto audio = vendor_->audio_per_connection();
  ASSERT_EQ(audio.size(), 2u);
  const auto& first = audio[0];
  const auto& second = audio[1];
  ASSERT_LE(first.size(), in.audio.size());
  EXPECT_TRUE(std::equal(first.begin(), first.end(), in.audio.begin())) << "the first connection is not the call's start";
  ASSERT_LE(second.size(), in.audio.size());
  const std::size_t resumed_at = in.audio.size() - second.size();
  EXPECT_TRUE(std::equal(second.begin(), second.end(), in.audio.begin() + std::ptrdiff_t(resumed_at)))
      << "the second connection is not the rest of the call";
  EXPECT_LE(resumed_at, first.size()) << "audio between the connections was lost";
  EXPECT_GT(resumed_at, 0u) << "audio the vendor had confirmed was sent again";
  expect_schema(r);
  expect_call_time(r, 0.0, 4.0);
  expect_finals_do_not_overlap(r);
  ASSERT_GE(r.finals().size(), 2u);
  const auto* last = r.finals().back();
  EXPECT_GT(get(last, "start") + get(last, "duration"), 3.0) << "the end of the call was not transcribed";
}

// EOS: the rest of the audio and the vendor's finalize message go out, and the result that
// only the finalize brings reaches the bus before EOS.
TEST_P(AsrVendorConformance, EosFinalizesAndKeepsTheLastResult) {
  const AsrInput in = speech(2.7);
  AsrRun r = run(in);
  ASSERT_TRUE(r.eos);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(vendor_->finalize_received());
  ASSERT_GE(r.finals().size(), 1u);
  const auto* last = r.finals().back();
  EXPECT_GE(get(last, "start") + get(last, "duration"), 2.7 - 0.4)
      << "the last final transcript ends before the last half second of the call";
  const auto audio = vendor_->audio_per_connection();
  ASSERT_EQ(audio.size(), 1u);
  EXPECT_TRUE(audio[0] == in.audio) << "the vendor did not get exactly the call's audio";
}

TEST_P(AsrVendorConformance, RefusedKeyIsOneWarningAndTheCallGoesOnWhenOnFailureIsContinue) {
  GstElement* e = element(kWrongKey);
  gst_util_set_object_arg(G_OBJECT(e), "on-failure", "continue");
  AsrRun r = run(speech(1.0), e);
  ASSERT_TRUE(r.eos);
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_FALSE(mentions(r.warnings, kWrongKey));
  EXPECT_EQ(vendor_->connection_attempts(), 1) << "a refused key is not retried";
  EXPECT_TRUE(r.named("mediaflow-vendor-reconnect").empty());
  EXPECT_TRUE(r.named("mediaflow-transcript").empty());
}

TEST_P(AsrVendorConformance, RefusedKeyIsAnElementErrorWhenOnFailureIsCloseCall) {
  GstElement* e = element(kWrongKey);
  gst_util_set_object_arg(G_OBJECT(e), "on-failure", "close-call");
  AsrRun r = run(speech(1.0), e);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_FALSE(mentions(r.errors, kWrongKey));
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(vendor_->connection_attempts(), 1) << "a refused key is not retried";
  EXPECT_TRUE(r.named("mediaflow-transcript").empty());
}

INSTANTIATE_TEST_SUITE_P(Asr, AsrConformance, ::testing::ValuesIn(asr_setups()),
                         [](const ::testing::TestParamInfo<AsrSetup>& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Asr, AsrVendorConformance, ::testing::ValuesIn(vendor_asr_setups()),
                         [](const ::testing::TestParamInfo<AsrSetup>& info) { return info.param.name; });

// A new ASR plugin cannot skip the suite: every element of role asr that the plugins folder
// brings has a row above.
TEST(AsrConformanceTable, EveryAsrElementOfThePluginsIsInTheSuite) {
  gst_init(nullptr, nullptr);
  mediaflow::load_plugins(mediaflow::test::plugin_dir());
  std::set<std::string> covered;
  for (const auto& s : asr_setups()) covered.insert(s.element);
  int asr_elements = 0;
  for (const auto& plugin : mediaflow::loaded_plugins())
    for (const auto& e : plugin.elements)
      if (e.role == mediaflow::role::kAsr) {
        ++asr_elements;
        EXPECT_TRUE(covered.count(e.name)) << e.name << " (plugin " << plugin.name << ") is not in asr_setups()";
      }
  EXPECT_GE(asr_elements, 3);
}

}  // namespace
