// The launch line of a pipeline file really runs: under gst_parse_launch and in a shell.
#include "pipeline/pipeline_test_util.hpp"

#include "support/paths.hpp"
#include "support/spoken_audio.hpp"

#include <mediaflow/pipeline/launch_line.hpp>
#include <mediaflow/protocol/wav_header.hpp>
#include <mediaflow/plugin_registry.hpp>

#include <cstdlib>
#include <fstream>

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

// An ASR's transcript linked to an agent by pad name: the launch line says
// `asr.transcript ! agent.transcript`, and under gst_parse_launch the agent answers what the
// ASR heard (its only audio: no greeting, so the file sink must not wait to preroll). Paced
// in real time (identity sync=true) so the caller's audio lasts until the answer is out, as
// on a call.
TEST_F(PipelineLaunchLine, TranscriptLinkByPadNameRunsUnderGstParseLaunch) {
  mediaflow::load_plugins(mediaflow::test::plugin_dir());
  TempDir dir;
  {
    std::ofstream wav(dir.path / "caller.wav", std::ios::binary);
    const auto audio = mediaflow::test::speech_at({{0.3, "yes"}}, 4.0);
    const auto header = mediaflow::protocol::make_wav_header({}, audio.size());  // 16 kHz S16 mono
    wav.write(reinterpret_cast<const char*>(header.data()), std::streamsize(header.size()));
    wav.write(reinterpret_cast<const char*>(audio.data()), std::streamsize(audio.size()));
  }
  auto r = load_pipeline(R"({
  "name": "heard",
  "nodes": [
    {"name": "file", "element": "filesrc", "properties": {"location": "${param.dir}/caller.wav"}},
    {"name": "parse", "element": "wavparse"},
    {"name": "pace", "element": "identity", "properties": {"sync": true}},
    {"name": "caller", "element": "tee"},
    {"name": "q1", "element": "queue"},
    {"name": "asr", "element": "sphinxasr", "properties": {"keywords": "yes, no"}},
    {"name": "q2", "element": "queue"},
    {"name": "agent", "element": "espeakagent", "properties": {"greeting": ""}},
    {"name": "enc", "element": "wavenc"},
    {"name": "out", "element": "filesink", "properties": {"location": "${param.dir}/agent.wav", "async": false}}
  ],
  "links": [
    {"from": "file", "to": "parse"},
    {"from": "parse", "to": "pace", "caps": "audio/x-raw,format=S16LE,rate=16000,channels=1"},
    {"from": "pace", "to": "caller"},
    {"from": "caller", "to": "q1"},
    {"from": "q1", "to": "asr"},
    {"from": "caller", "to": "q2"},
    {"from": "q2", "to": "agent.sink"},
    {"from": "asr.transcript", "to": "agent.transcript"},
    {"from": "agent", "to": "enc"},
    {"from": "enc", "to": "out"}
  ]
})",
                         "heard.json");
  ASSERT_NE(r.spec, nullptr) << to_string(r.errors);
  std::string line = launch_line(*r.spec, {{"param.dir", dir.path.string()}});
  EXPECT_NE(line.find("asr.transcript ! agent.transcript"), std::string::npos) << line;
  GError* err = nullptr;
  GstElement* p = gst_parse_launch(line.c_str(), &err);
  ASSERT_EQ(err, nullptr) << err->message << "\n" << line;
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(play_to_eos(p), "");
  gst_object_unref(p);
  // "You said yes." at 22.05 kHz S16: well over half a second of agent speech.
  EXPECT_GT(wav_data_bytes(dir.path / "agent.wav"), 22050u);
}

TEST_F(PipelineLaunchLine, MissingVariableIsAnError) {
  auto r = load_pipeline(kTeePipeline, "tee.json");
  ASSERT_NE(r.spec, nullptr);
  std::string error;
  EXPECT_EQ(launch_line(*r.spec, {{"param.dir", "/d"}}, &error), "");
  EXPECT_EQ(error, "tee.json:10:72: property 'location' of node 'file': variable ${call.sid} is not set and has no default");
}

// Secrets (write-only properties: deepgramasr's and elevenlabsagent's api-key) never appear
// in a launch line, whatever they were filled from; a secret taken from ${env.NAME} shows as
// that reference, any other as <redacted>, and the caller learns which ones were hidden.
const char* kSecretsPipeline = R"({
  "name": "secrets",
  "nodes": [
    {"name": "src", "element": "audiotestsrc"},
    {"name": "t", "element": "tee"},
    {"name": "asr", "element": "deepgramasr",
     "properties": {"api-key": "${env.MF_LAUNCH_TEST_DG_KEY}", "model": "${env.MF_LAUNCH_TEST_MODEL}"}},
    {"name": "q", "element": "queue"},
    {"name": "agent", "element": "elevenlabsagent", "properties": {"agent-id": "agent_1", "api-key": "${param.xi_key}"}},
    {"name": "agent2", "element": "elevenlabsagent", "properties": {"agent-id": "agent_2", "api-key": "xi-literal-key-77"}},
    {"name": "out", "element": "fakesink"}
  ],
  "links": [
    {"from": "src", "to": "t"},
    {"from": "t", "to": "asr"},
    {"from": "t", "to": "q"},
    {"from": "q", "to": "agent"},
    {"from": "agent", "to": "agent2"},
    {"from": "agent2", "to": "out"}
  ]
})";

TEST_F(PipelineLaunchLine, SecretsAreNeverPrinted) {
  mediaflow::load_plugins(mediaflow::test::plugin_dir());
  ASSERT_EQ(setenv("MF_LAUNCH_TEST_DG_KEY", "dg-secret-0123456789", 1), 0);
  ASSERT_EQ(setenv("MF_LAUNCH_TEST_MODEL", "nova-2", 1), 0);
  auto r = load_pipeline(kSecretsPipeline, "secrets.json");
  ASSERT_NE(r.spec, nullptr) << to_string(r.errors);
  const Variables vars{{"param.xi_key", "xi-param-key-42"}};
  std::vector<HiddenSecret> hidden;
  std::string error;
  std::string line = launch_line(*r.spec, vars, &error, &hidden);
  ASSERT_NE(line, "") << error;
  std::string cmd = launch_command(*r.spec, vars, nullptr, nullptr);
  for (const std::string& text : {line, cmd}) {
    for (const char* secret : {"dg-secret-0123456789", "xi-param-key-42", "xi-literal-key-77"})
      EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << text;
  }
  EXPECT_NE(line.find("deepgramasr name=asr api-key=\"${env.MF_LAUNCH_TEST_DG_KEY}\" model=nova-2"), std::string::npos)
      << line;
  EXPECT_NE(line.find("elevenlabsagent name=agent agent-id=agent_1 api-key=\"<redacted>\""), std::string::npos) << line;
  EXPECT_NE(line.find("elevenlabsagent name=agent2 agent-id=agent_2 api-key=\"<redacted>\""), std::string::npos) << line;
  EXPECT_NE(cmd.find("'api-key=\"${env.MF_LAUNCH_TEST_DG_KEY}\"'"), std::string::npos) << cmd;
  ASSERT_EQ(hidden.size(), 3u);
  EXPECT_EQ(hidden[0].node, "asr");
  EXPECT_EQ(hidden[0].property, "api-key");
  EXPECT_EQ(hidden[0].env_name, "MF_LAUNCH_TEST_DG_KEY");
  EXPECT_EQ(hidden[1].node, "agent");
  EXPECT_EQ(hidden[1].env_name, "");
  EXPECT_EQ(hidden[2].node, "agent2");
  EXPECT_EQ(hidden[2].env_name, "");

  // An env reference whose variable is empty does not say where the value came from.
  ASSERT_EQ(setenv("MF_LAUNCH_TEST_DG_KEY", "", 1), 0);
  hidden.clear();
  line = launch_line(*r.spec, vars, &error, &hidden);
  EXPECT_NE(line.find("deepgramasr name=asr api-key=\"<redacted>\""), std::string::npos) << line;
  unsetenv("MF_LAUNCH_TEST_DG_KEY");
  unsetenv("MF_LAUNCH_TEST_MODEL");
}

}  // namespace
