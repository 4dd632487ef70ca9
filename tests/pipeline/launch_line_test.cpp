// The launch line of a pipeline file really runs: under gst_parse_launch and in a shell.
#include "pipeline/pipeline_test_util.hpp"

#include <mediaflow/pipeline/launch_line.hpp>

namespace {

using namespace mediaflow::pipeline;
using mediaflow::test::play_to_eos;
using mediaflow::test::TempDir;
using mediaflow::test::wav_data_bytes;

class PipelineLaunchLine : public ::testing::Test {
 protected:
  void SetUp() override { gst_init(nullptr, nullptr); }
};

const char* kTeePipeline = R"({
  "name": "tee",
  "nodes": [
    {"name": "src", "element": "audiotestsrc", "properties": {"num-buffers": 10, "samplesperbuffer": 80, "wave": "sine"}},
    {"name": "t", "element": "tee"},
    {"name": "q1", "element": "queue"},
    {"name": "fake", "element": "fakesink", "properties": {"sync": false}},
    {"name": "q2", "element": "queue"},
    {"name": "enc", "element": "wavenc"},
    {"name": "file", "element": "filesink", "properties": {"location": "${param.dir}/out ${call.sid}'s \"x\".wav"}}
  ],
  "links": [
    {"from": "src", "to": "t", "caps": "audio/x-raw,format=S16LE,rate=8000,channels=1"},
    {"from": "t", "to": "q1"},
    {"from": "q1", "to": "fake"},
    {"from": "t.src_3", "to": "q2"},
    {"from": "q2", "to": "enc", "caps": "audio/x-raw, format=(string)S16LE"},
    {"from": "enc", "to": "file"}
  ]
})";

TEST_F(PipelineLaunchLine, ExpressesChainsTeeBranchesPadsAndCaps) {
  auto r = load_pipeline(kTeePipeline, "tee.json");
  ASSERT_NE(r.spec, nullptr) << to_string(r.errors);
  std::string line = launch_line(*r.spec, {{"param.dir", "/d"}, {"call.sid", "CA1"}});
  EXPECT_EQ(line,
            "audiotestsrc name=src num-buffers=10 samplesperbuffer=80 wave=sine ! "
            "audio/x-raw,format=S16LE,rate=8000,channels=1 ! tee name=t "
            "queue name=q1 ! fakesink name=fake sync=false "
            "queue name=q2 ! capsfilter caps=\"audio/x-raw, format=(string)S16LE\" ! wavenc name=enc ! "
            "filesink name=file location=\"/d/out CA1's \\\"x\\\".wav\" "
            "t. ! q1. t.src_3 ! q2.");
}

TEST_F(PipelineLaunchLine, OutputRunsUnderGstParseLaunch) {
  TempDir dir;
  auto r = load_pipeline(kTeePipeline, "tee.json");
  ASSERT_NE(r.spec, nullptr) << to_string(r.errors);
  std::string line = launch_line(*r.spec, {{"param.dir", dir.path.string()}, {"call.sid", "CA1"}});
  GError* err = nullptr;
  GstElement* p = gst_parse_launch(line.c_str(), &err);
  ASSERT_EQ(err, nullptr) << err->message << "\n" << line;
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(play_to_eos(p), "");
  gst_object_unref(p);
  EXPECT_EQ(wav_data_bytes(dir.path / "out CA1's \"x\".wav"), 10u * 80u * 2u);
}

TEST_F(PipelineLaunchLine, ShellCommandRunsUnderGstLaunch) {
  TempDir dir;
  auto r = load_pipeline(kTeePipeline, "tee.json");
  ASSERT_NE(r.spec, nullptr) << to_string(r.errors);
  std::string cmd = launch_command(*r.spec, {{"param.dir", dir.path.string()}, {"call.sid", "CA2"}});
  ASSERT_EQ(cmd.rfind("gst-launch-1.0 ", 0), 0u);
  gchar* argv[] = {const_cast<gchar*>("/bin/sh"), const_cast<gchar*>("-c"), const_cast<gchar*>(cmd.c_str()), nullptr};
  gint status = -1;
  gchar* out = nullptr;
  gchar* errout = nullptr;
  ASSERT_TRUE(g_spawn_sync(nullptr, argv, nullptr, G_SPAWN_DEFAULT, nullptr, nullptr, &out, &errout, &status, nullptr));
  EXPECT_TRUE(g_spawn_check_wait_status(status, nullptr)) << cmd << "\n" << out << errout;
  g_free(out);
  g_free(errout);
  EXPECT_EQ(wav_data_bytes(dir.path / "out CA2's \"x\".wav"), 10u * 80u * 2u);
}

TEST_F(PipelineLaunchLine, MissingVariableIsAnError) {
  auto r = load_pipeline(kTeePipeline, "tee.json");
  ASSERT_NE(r.spec, nullptr);
  std::string error;
  EXPECT_EQ(launch_line(*r.spec, {{"param.dir", "/d"}}, &error), "");
  EXPECT_EQ(error, "tee.json:10:72: property 'location' of node 'file': variable ${call.sid} is not set and has no default");
}

}  // namespace
