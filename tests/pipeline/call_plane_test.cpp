// "@ingest"/"@egress" on a call's plane: which converters the builder puts between the call's
// format and a link's caps, and that the roles only ever become transport elements.
#include "pipeline/pipeline_test_util.hpp"

#include <mediaflow/pipeline/build.hpp>
#include <mediaflow/pipeline/call_plane.hpp>
#include <mediaflow/pipeline/launch_line.hpp>

#include "support/paths.hpp"

#include <mediaflow/plugin_registry.hpp>

#include <set>

namespace {

using namespace mediaflow::pipeline;
using mediaflow::transport::AudioFormat;
using Enc = AudioFormat::Encoding;

std::vector<std::string> names(const std::vector<const char*>& v) { return {v.begin(), v.end()}; }

TEST(CallPlane, ConvertsOnlyWhatDiffers) {
  const AudioFormat mulaw8k{Enc::kMulaw, 8000, 1}, pcm8k{Enc::kS16le, 8000, 1}, pcm16k{Enc::kS16le, 16000, 1},
      pcm16k_stereo{Enc::kS16le, 16000, 2};
  EXPECT_TRUE(audio_converters(mulaw8k, mulaw8k).empty());
  EXPECT_TRUE(audio_converters(pcm16k, pcm16k).empty());
  EXPECT_EQ(names(audio_converters(mulaw8k, pcm8k)), (std::vector<std::string>{"mulawdec"}));
  EXPECT_EQ(names(audio_converters(mulaw8k, pcm16k)), (std::vector<std::string>{"mulawdec", "audioresample"}));
  EXPECT_EQ(names(audio_converters(pcm16k, mulaw8k)), (std::vector<std::string>{"audioresample", "mulawenc"}));
  EXPECT_EQ(names(audio_converters(pcm16k_stereo, pcm16k)), (std::vector<std::string>{"audioconvert"}));
}

TEST(CallPlane, LinkCapsLeaveOpenFieldsToTheCall) {
  gst_init(nullptr, nullptr);
  const AudioFormat call{Enc::kS16le, 16000, 1};
  GstCaps* raw = gst_caps_from_string("audio/x-raw,format=S16LE,rate=8000");
  auto f = audio_format_of_caps(raw, call);
  ASSERT_TRUE(f);
  EXPECT_EQ(*f, (AudioFormat{Enc::kS16le, 8000, 1}));
  gst_caps_unref(raw);
  GstCaps* mulaw = gst_caps_from_string("audio/x-mulaw");
  EXPECT_EQ(*audio_format_of_caps(mulaw, call), (AudioFormat{Enc::kMulaw, 16000, 1}));
  gst_caps_unref(mulaw);
  GstCaps* video = gst_caps_from_string("video/x-raw");
  EXPECT_FALSE(audio_format_of_caps(video, call));  // not converted: linked as written
  gst_caps_unref(video);
  GstCaps* f32 = gst_caps_from_string("audio/x-raw,format=F32LE");
  EXPECT_FALSE(audio_format_of_caps(f32, call));
  gst_caps_unref(f32);
}

TEST(CallPlane, ARoleOnlyEverBecomesATransportElement) {
  gst_init(nullptr, nullptr);
  mediaflow::load_plugins(mediaflow::test::plugin_dir());  // @ingest is validated as twiliosrc
  auto loaded = load_pipeline(R"({"name": "x", "nodes": [{"name": "in", "element": "@ingest"},
      {"name": "out", "element": "fakesink"}], "links": [{"from": "in", "to": "out"}]})", "x.json");
  ASSERT_TRUE(loaded.spec) << to_string(loaded.errors);
  CallPlane plane;
  plane.ingest_factory = "audiotestsrc";  // a plugin that lies about its ingest
  auto built = build_pipeline(*loaded.spec, {}, plane);
  EXPECT_EQ(built.pipeline, nullptr);
  EXPECT_NE(built.error.find("'audiotestsrc' is not a transport ingest element (node 'in')"), std::string::npos)
      << built.error;
}

// The element names of a built pipeline (its converters are named <node>_<factory>).
std::set<std::string> element_names(GstElement* pipeline) {
  std::set<std::string> out;
  GstIterator* it = gst_bin_iterate_elements(GST_BIN(pipeline));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    out.insert(GST_ELEMENT_NAME(g_value_get_object(&item)));
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  return out;
}

CallPlane jambonz_plane(int rate) {
  CallPlane plane;
  plane.ingest_factory = "jambonzsrc";
  plane.egress_factory = "jambonzsink";
  plane.format = AudioFormat{Enc::kS16le, rate, 1};
  return plane;
}

// A tee after @ingest: one branch takes the call's audio as it is (no caps), the other asks
// for 16 kHz PCM. The links are listed with the tee's own input last: order does not matter.
constexpr const char* kTeeBranches = R"({"name": "x", "nodes": [{"name": "src", "element": "@ingest"},
    {"name": "split", "element": "tee"}, {"name": "q", "element": "queue"},
    {"name": "rec", "element": "fakesink"}, {"name": "asr", "element": "fakesink"}],
    "links": [{"from": "split", "to": "q"}, {"from": "q", "to": "rec", "caps": "audio/x-raw,format=S16LE,rate=16000,channels=1"},
              {"from": "split", "to": "asr"}, {"from": "src", "to": "split"}]})";

TEST(CallPlane, TheCallsFormatIsKnownThroughTeesAndQueues) {
  gst_init(nullptr, nullptr);
  mediaflow::load_plugins(mediaflow::test::plugin_dir());  // @ingest is validated as twiliosrc
  auto loaded = load_pipeline(kTeeBranches, "x.json");
  ASSERT_TRUE(loaded.spec) << to_string(loaded.errors);
  const AudioFormat mulaw8k{Enc::kMulaw, 8000, 1};
  auto formats = known_formats(*loaded.spec, mulaw8k);
  EXPECT_EQ(formats.size(), 3u);  // src, split, q; not the sinks
  EXPECT_EQ(formats.at("src"), mulaw8k);
  EXPECT_EQ(formats.at("split"), mulaw8k);
  EXPECT_EQ(formats.at("q"), mulaw8k);
  // Caps on the way in: the tee passes those on.
  auto decoded = load_pipeline(R"({"name": "x", "nodes": [{"name": "src", "element": "@ingest"},
      {"name": "split", "element": "tee"}, {"name": "out", "element": "fakesink"}],
      "links": [{"from": "src", "to": "split", "caps": "audio/x-raw,rate=16000"}, {"from": "split", "to": "out"}]})",
                               "x.json");
  ASSERT_TRUE(decoded.spec) << to_string(decoded.errors);
  EXPECT_EQ(known_formats(*decoded.spec, mulaw8k).at("split"), (AudioFormat{Enc::kS16le, 16000, 1}));
}

TEST(CallPlane, ALinkWithCapsAfterATeeIsConvertedFromTheCallsFormat) {
  gst_init(nullptr, nullptr);
  mediaflow::load_plugins(mediaflow::test::plugin_dir());
  auto loaded = load_pipeline(kTeeBranches, "x.json");
  ASSERT_TRUE(loaded.spec) << to_string(loaded.errors);

  // Twilio: the caps branch decodes and resamples; the other branch gets the mu-law as it is.
  auto twilio = build_pipeline(*loaded.spec, {}, CallPlane{});
  ASSERT_TRUE(twilio.pipeline) << twilio.error;
  auto names = element_names(twilio.pipeline);
  EXPECT_TRUE(names.count("q_mulawdec")) << ::testing::PrintToString(names);
  EXPECT_TRUE(names.count("q_audioresample")) << ::testing::PrintToString(names);
  EXPECT_FALSE(names.count("split_mulawdec"));
  EXPECT_FALSE(names.count("src_mulawdec"));
  gst_object_unref(twilio.pipeline);

  // jambonz at 16 kHz: already what the caps ask for, nothing is inserted.
  auto j16 = build_pipeline(*loaded.spec, {}, jambonz_plane(16000));
  ASSERT_TRUE(j16.pipeline) << j16.error;
  names = element_names(j16.pipeline);
  EXPECT_EQ(names, (std::set<std::string>{"src", "split", "q", "rec", "asr", "q_rec_caps"}));
  gst_object_unref(j16.pipeline);

  // jambonz at 48 kHz: resampled only.
  auto j48 = build_pipeline(*loaded.spec, {}, jambonz_plane(48000));
  ASSERT_TRUE(j48.pipeline) << j48.error;
  names = element_names(j48.pipeline);
  EXPECT_TRUE(names.count("q_audioresample"));
  EXPECT_FALSE(names.count("q_mulawdec"));
  gst_object_unref(j48.pipeline);
}

// The launch line shows what the builder builds: the decoding branch of the tee (on the
// offline plane, Twilio's mu-law) and no converter on the branch without caps.
TEST(CallPlane, TheLaunchLineConvertsATeeBranchAsTheBuilderDoes) {
  gst_init(nullptr, nullptr);
  mediaflow::load_plugins(mediaflow::test::plugin_dir());
  auto loaded = load_pipeline(kTeeBranches, "x.json");
  ASSERT_TRUE(loaded.spec) << to_string(loaded.errors);
  std::string error;
  const std::string line = launch_line(*loaded.spec, {}, &error);
  ASSERT_FALSE(line.empty()) << error;
  EXPECT_NE(line.find("! mulawdec ! audioresample ! audio/x-raw,format=S16LE,rate=16000,channels=1 ! fakesink name=rec"),
            std::string::npos) << line;
  EXPECT_EQ(line.find("mulawdec", line.find("mulawdec") + 1), std::string::npos) << "one decoder only: " << line;
}

}  // namespace

// An element whose output the builder does not know (the agent), with fixed caps on its way
// into a tee: the tee's format is known from those caps, so a branch asking for PCM at an open
// rate gets only a decoder (8 kHz stays 8 kHz), whatever the call's own format.
TEST(CallPlane, FixedCapsIntoATeeMakeItsFormatKnownAndOpenFieldsAreCompletedFromIt) {
  gst_init(nullptr, nullptr);
  mediaflow::load_plugins(mediaflow::test::plugin_dir());
  auto loaded = load_pipeline(R"({"name": "x", "nodes": [{"name": "src", "element": "@ingest"},
      {"name": "agent", "element": "identity"}, {"name": "reply", "element": "tee"},
      {"name": "out", "element": "fakesink"}, {"name": "rec", "element": "fakesink"}],
      "links": [{"from": "src", "to": "agent", "caps": "audio/x-mulaw,rate=8000,channels=1"},
                {"from": "agent", "to": "reply", "caps": "audio/x-mulaw,rate=8000,channels=1"},
                {"from": "reply", "to": "out"},
                {"from": "reply", "to": "rec", "caps": "audio/x-raw,format=S16LE,channels=1"}]})",
                              "x.json");
  ASSERT_TRUE(loaded.spec) << to_string(loaded.errors);
  const AudioFormat mulaw8k{Enc::kMulaw, 8000, 1};
  EXPECT_EQ(known_formats(*loaded.spec, AudioFormat{Enc::kS16le, 16000, 1}).at("reply"), mulaw8k);
  // Caps that leave a field open from an unknown element say nothing about it.
  auto open = load_pipeline(R"({"name": "x", "nodes": [{"name": "src", "element": "@ingest"},
      {"name": "agent", "element": "identity"}, {"name": "reply", "element": "tee"}],
      "links": [{"from": "src", "to": "agent"}, {"from": "agent", "to": "reply", "caps": "audio/x-raw,format=S16LE,channels=1"}]})",
                            "x.json");
  ASSERT_TRUE(open.spec) << to_string(open.errors);
  EXPECT_EQ(known_formats(*open.spec, mulaw8k).count("reply"), 0u);

  for (const CallPlane& plane : {CallPlane{}, jambonz_plane(16000)}) {
    auto built = build_pipeline(*loaded.spec, {}, plane);
    ASSERT_TRUE(built.pipeline) << built.error;
    auto names = element_names(built.pipeline);
    EXPECT_TRUE(names.count("reply_mulawdec")) << ::testing::PrintToString(names);
    EXPECT_FALSE(names.count("reply_audioresample")) << ::testing::PrintToString(names);
    EXPECT_FALSE(names.count("reply_audioconvert")) << ::testing::PrintToString(names);
    gst_object_unref(built.pipeline);
  }
}
