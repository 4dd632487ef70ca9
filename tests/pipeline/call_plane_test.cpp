// "@ingest"/"@egress" on a call's plane: which converters the builder puts between the call's
// format and a link's caps, and that the roles only ever become transport elements.
#include "pipeline/pipeline_test_util.hpp"

#include <mediaflow/pipeline/build.hpp>
#include <mediaflow/pipeline/call_plane.hpp>

#include "support/paths.hpp"

#include <mediaflow/plugin_registry.hpp>

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

}  // namespace
