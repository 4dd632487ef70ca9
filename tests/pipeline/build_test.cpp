// Building real pipelines from files and running them to EOS.
#include "pipeline/pipeline_test_util.hpp"

#include <mediaflow/pipeline/build.hpp>

#include <filesystem>

namespace {

using namespace mediaflow::pipeline;
using mediaflow::test::play_to_eos;
using mediaflow::test::TempDir;
using mediaflow::test::wav_data_bytes;
using mediaflow::test::where;

class PipelineBuild : public ::testing::Test {
 protected:
  void SetUp() override { gst_init(nullptr, nullptr); }

  std::shared_ptr<const PipelineSpec> load(const std::string& text) {
    auto r = load_pipeline(text, "b.json");
    EXPECT_TRUE(r.errors.empty()) << to_string(r.errors);
    return r.spec;
  }
};

// 100 buffers of 160 samples at 8 kHz mono S16LE = 32000 data bytes + 44-byte header.
const char* kWavPipeline = R"({
  "name": "wav",
  "nodes": [
    {"name": "src", "element": "audiotestsrc", "properties": {"num-buffers": 100, "samplesperbuffer": 160, "wave": "${param.wave:-square}"}},
    {"name": "enc", "element": "wavenc"},
    {"name": "sink", "element": "filesink", "properties": {"location": "${param.dir}/${call.sid}.wav"}}
  ],
  "links": [
    {"from": "src", "to": "enc", "caps": "audio/x-raw,format=S16LE,rate=8000,channels=1"},
    {"from": "enc", "to": "sink"}
  ]
})";

TEST_F(PipelineBuild, StockPipelineRunsToEosAndWritesTheExpectedWav) {
  TempDir dir;
  auto spec = load(kWavPipeline);
  ASSERT_NE(spec, nullptr);
  auto built = build_pipeline(*spec, {{"param.dir", dir.path.string()}, {"call.sid", "CA123"}});
  ASSERT_NE(built.pipeline, nullptr) << built.error;
  // Elements are named after their nodes; enum nick from the default was applied.
  GstElement* src = gst_bin_get_by_name(GST_BIN(built.pipeline), "src");
  ASSERT_NE(src, nullptr);
  gint wave = -1;
  g_object_get(src, "wave", &wave, nullptr);
  EXPECT_EQ(wave, 1);  // square
  gst_object_unref(src);
  EXPECT_EQ(play_to_eos(built.pipeline), "");
  gst_object_unref(built.pipeline);
  auto wav = dir.path / "CA123.wav";
  ASSERT_TRUE(std::filesystem::exists(wav));
  EXPECT_EQ(wav_data_bytes(wav), 100u * 160u * 2u);
}

TEST_F(PipelineBuild, MissingVariableIsAnErrorNamingItWithItsPosition) {
  auto spec = load(kWavPipeline);
  ASSERT_NE(spec, nullptr);
  auto built = build_pipeline(*spec, {{"param.dir", "/tmp"}});
  EXPECT_EQ(built.pipeline, nullptr);
  EXPECT_EQ(where(kWavPipeline, "\"${param.dir}/${call.sid}.wav\""), "6:72");
  EXPECT_EQ(built.error,
            "b.json:6:72: property 'location' of node 'sink' (filesink): variable ${call.sid} is not set and has no "
            "default");
}

TEST_F(PipelineBuild, SubstitutedValueIsTypeCheckedAtBuild) {
  auto spec = load(R"({"name": "t", "nodes": [
  {"name": "src", "element": "audiotestsrc", "properties": {"num-buffers": "${param.n}"}},
  {"name": "sink", "element": "fakesink"}], "links": [{"from": "src", "to": "sink"}]})");
  ASSERT_NE(spec, nullptr);
  auto bad = build_pipeline(*spec, {{"param.n", "lots"}});
  EXPECT_EQ(bad.pipeline, nullptr);
  EXPECT_EQ(bad.error, "b.json:2:76: property 'num-buffers' of node 'src' (audiotestsrc): expected an integer, got 'lots'");
  auto good = build_pipeline(*spec, {{"param.n", "3"}});
  ASSERT_NE(good.pipeline, nullptr) << good.error;
  EXPECT_EQ(play_to_eos(good.pipeline), "");
  gst_object_unref(good.pipeline);
}

TEST_F(PipelineBuild, TeeRequestPadsAndNamedPadsBothWork) {
  TempDir dir;
  auto spec = load(R"({"name": "tee", "nodes": [
  {"name": "src", "element": "audiotestsrc", "properties": {"num-buffers": 10, "samplesperbuffer": 100}},
  {"name": "t", "element": "tee"},
  {"name": "q1", "element": "queue"},
  {"name": "fake", "element": "fakesink", "properties": {"sync": false}},
  {"name": "q2", "element": "queue"},
  {"name": "enc", "element": "wavenc"},
  {"name": "file", "element": "filesink", "properties": {"location": "${param.out}"}}],
  "links": [
    {"from": "src", "to": "t", "caps": "audio/x-raw,format=S16LE,rate=8000,channels=1"},
    {"from": "t", "to": "q1"}, {"from": "q1", "to": "fake"},
    {"from": "t.src_7", "to": "q2.sink"}, {"from": "q2", "to": "enc"}, {"from": "enc.src", "to": "file"}]})");
  ASSERT_NE(spec, nullptr);
  auto out = dir.path / "tee.wav";
  auto built = build_pipeline(*spec, {{"param.out", out.string()}});
  ASSERT_NE(built.pipeline, nullptr) << built.error;
  GstElement* tee = gst_bin_get_by_name(GST_BIN(built.pipeline), "t");
  GstPad* named = gst_element_get_static_pad(tee, "src_7");
  EXPECT_NE(named, nullptr);
  if (named) gst_object_unref(named);
  gst_object_unref(tee);
  GstElement* filter = gst_bin_get_by_name(GST_BIN(built.pipeline), "src_t_caps");
  EXPECT_NE(filter, nullptr);
  if (filter) gst_object_unref(filter);
  EXPECT_EQ(play_to_eos(built.pipeline), "");
  gst_object_unref(built.pipeline);
  EXPECT_EQ(wav_data_bytes(out), 10u * 100u * 2u);
}

TEST_F(PipelineBuild, SometimesPadsAreLinkedWhenTheyAppear) {
  TempDir dir;
  // First a WAV file, then a pipeline that parses it (wavparse's source pad appears later).
  auto writer = load(kWavPipeline);
  auto w = build_pipeline(*writer, {{"param.dir", dir.path.string()}, {"call.sid", "in"}});
  ASSERT_NE(w.pipeline, nullptr) << w.error;
  ASSERT_EQ(play_to_eos(w.pipeline), "");
  gst_object_unref(w.pipeline);

  auto spec = load(R"({"name": "parse", "nodes": [
  {"name": "src", "element": "filesrc", "properties": {"location": "${param.in}"}},
  {"name": "parse", "element": "wavparse"},
  {"name": "enc", "element": "wavenc"},
  {"name": "sink", "element": "filesink", "properties": {"location": "${param.out}"}}],
  "links": [{"from": "src", "to": "parse"}, {"from": "parse", "to": "enc"}, {"from": "enc", "to": "sink"}]})");
  ASSERT_NE(spec, nullptr);
  auto out = dir.path / "copy.wav";
  auto built = build_pipeline(*spec, {{"param.in", (dir.path / "in.wav").string()}, {"param.out", out.string()}});
  ASSERT_NE(built.pipeline, nullptr) << built.error;
  EXPECT_EQ(play_to_eos(built.pipeline), "");
  gst_object_unref(built.pipeline);
  EXPECT_EQ(wav_data_bytes(out), 100u * 160u * 2u);
}

TEST_F(PipelineBuild, IncompatibleLinkIsAClearError) {
  auto spec = load(R"({"name": "x", "nodes": [
  {"name": "src", "element": "audiotestsrc"},
  {"name": "dec", "element": "mulawdec"}],
  "links": [{"from": "src", "to": "dec"}]})");
  ASSERT_NE(spec, nullptr);
  auto built = build_pipeline(*spec, {});
  EXPECT_EQ(built.pipeline, nullptr);
  EXPECT_EQ(built.error, "b.json:4:13: cannot link 'src' to 'dec': their pads are not compatible (check the caps each side accepts)");
}

TEST_F(PipelineBuild, BusErrorsNameTheNode) {
  auto spec = load(R"({"name": "x", "nodes": [
  {"name": "src", "element": "audiotestsrc", "properties": {"num-buffers": 5}},
  {"name": "writer", "element": "filesink", "properties": {"location": "/nonexistent-dir/x/y.raw"}}],
  "links": [{"from": "src", "to": "writer"}]})");
  ASSERT_NE(spec, nullptr);
  auto built = build_pipeline(*spec, {});
  ASSERT_NE(built.pipeline, nullptr) << built.error;
  std::string err = play_to_eos(built.pipeline);
  EXPECT_EQ(err.rfind("writer: ", 0), 0u) << err;
  gst_object_unref(built.pipeline);
}

}  // namespace
