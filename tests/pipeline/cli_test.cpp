// The pipeline subcommands of the real `mediaflow` binary.
#include "pipeline/pipeline_test_util.hpp"
#include "support/spawn.hpp"
#include "support/paths.hpp"

#include <vector>

namespace {

using mediaflow::test::TempDir;

using CliRun = mediaflow::test::ProcessResult;

CliRun mediaflow_cli(std::vector<std::string> args) {
  args.insert(args.begin(), mediaflow::test::mediaflow_binary().string());
  return mediaflow::test::run_process(args);
}

const char* kGood = R"({
  "name": "tone",
  "nodes": [
    {"name": "src", "element": "audiotestsrc", "properties": {"num-buffers": 20, "samplesperbuffer": 160}},
    {"name": "enc", "element": "wavenc"},
    {"name": "sink", "element": "filesink", "properties": {"location": "${param.out}"}}
  ],
  "links": [
    {"from": "src", "to": "enc", "caps": "audio/x-raw,format=S16LE,rate=8000,channels=1"},
    {"from": "enc", "to": "sink"}
  ]
})";

TEST(PipelineCli, ValidateExitsNonZeroWithEveryErrorAsFileLineCol) {
  TempDir dir;
  auto bad = dir.write("bad.json", R"({
  "name": "bad",
  "nodes": [
    {"name": "src", "element": "audiotestsrc", "properties": {"freq": "high"}},
    {"name": "sink", "element": "fakesinc"}
  ],
  "links": [{"from": "src", "to": "nowhere"}]
})");
  auto good = dir.write("tone.json", kGood);
  CliRun r = mediaflow_cli({"validate", good.string(), bad.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find(good.string() + ": ok"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find(bad.string() + ":4:71: property 'freq' of node 'src' (audiotestsrc): expected a number, got 'high'\n"),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find(bad.string() + ":5:33: unknown element 'fakesinc'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(bad.string() + ":7:35: link to unknown node 'nowhere'\n"), std::string::npos) << r.err;

  r = mediaflow_cli({"validate", good.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(mediaflow_cli({"validate"}).exit_code, 2);
}

TEST(PipelineCli, RunPlaysToEosAndLaunchLinePrintsTheCommand) {
  TempDir dir;
  auto file = dir.write("tone.json", kGood);
  auto out = dir.path / "tone.wav";
  CliRun r = mediaflow_cli({"run", file.string(), "--set", "out=" + out.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(mediaflow::test::wav_data_bytes(out), 20u * 160u * 2u);

  r = mediaflow_cli({"launch-line", file.string(), "--set", "param.out=/tmp/x.wav"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "gst-launch-1.0 audiotestsrc name=src num-buffers=20 samplesperbuffer=160 ! "
            "audio/x-raw,format=S16LE,rate=8000,channels=1 ! wavenc name=enc ! filesink name=sink "
            "location=/tmp/x.wav\n");
}

TEST(PipelineCli, RunReportsMissingVariablesAndBusErrorsWithTheNode) {
  TempDir dir;
  auto file = dir.write("tone.json", kGood);
  CliRun r = mediaflow_cli({"run", file.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(file.string() + ":6:72: property 'location' of node 'sink' (filesink): variable ${param.out} is "
                                       "not set and has no default"),
            std::string::npos) << r.err;
  r = mediaflow_cli({"run", file.string(), "--set", "out=/nonexistent-dir/a/b.wav"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("mediaflow run: error from element 'sink': "), std::string::npos) << r.err;
  r = mediaflow_cli({"run", file.string(), "--set", "call.nope=1"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(PipelineCli, InspectDescribesPadsAndTypedProperties) {
  CliRun r = mediaflow_cli({"inspect", "audiotestsrc"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  src        src  always"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("freq                     double [0, 1073741823.5]  (rw"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("default: 440"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("enum GstAudioTestSrcWave {sine, square"), std::string::npos) << r.out;
  EXPECT_EQ(mediaflow_cli({"inspect", "nosuchelement"}).exit_code, 1);
}

TEST(PipelineCli, LaunchLineAndInspectNeverPrintSecrets) {
  TempDir dir;
  auto file = dir.write("asr.json", R"({
  "name": "asr",
  "nodes": [
    {"name": "src", "element": "audiotestsrc"},
    {"name": "asr", "element": "deepgramasr", "properties": {"api-key": "${env.DEEPGRAM_API_KEY}"}}
  ],
  "links": [{"from": "src", "to": "asr"}]
})");
  const std::string key = "dg-cli-secret-5551212";
  CliRun r = mediaflow::test::run_process({mediaflow::test::mediaflow_binary().string(), "launch-line", file.string()},
                                          {"DEEPGRAM_API_KEY=" + key});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find(key), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find(key), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("'api-key=\"${env.DEEPGRAM_API_KEY}\"'"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("property 'api-key' of node 'asr' is a secret"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\"$DEEPGRAM_API_KEY\""), std::string::npos) << r.err;

  CliRun v = mediaflow::test::run_process({mediaflow::test::mediaflow_binary().string(), "validate", file.string()},
                                          {"DEEPGRAM_API_KEY=" + key});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ((v.out + v.err).find(key), std::string::npos);

  CliRun i = mediaflow_cli({"inspect", "deepgramasr"});
  EXPECT_EQ(i.exit_code, 0) << i.err;
  EXPECT_NE(i.out.find("api-key                  string  (-w secret)"), std::string::npos) << i.out;
}

TEST(PipelineCli, ValidateRefusesDeepNestingWithAPositionInsteadOfCrashing) {
  // A fuzzer finding: 50 KB of '[' overflowed json-glib's (and the scanner's) recursion.
  TempDir dir;
  auto file = dir.write("deep.json", mediaflow::test::fuzz_regression("pipeline_file", "nested_brackets_50k.json"));
  CliRun r = mediaflow_cli({"validate", file.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("deep.json:1:65: JSON syntax error: nesting deeper than 64"), std::string::npos) << r.err;
}

TEST(PipelineCli, EveryPipelineCommandHasHelp) {
  for (const char* cmd : {"validate", "launch-line", "graph", "run", "inspect"}) {
    CliRun r = mediaflow_cli({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_EQ(r.out.rfind(std::string("usage: mediaflow ") + cmd, 0), 0u) << r.out;
    EXPECT_GT(r.out.size(), 200u) << cmd;
  }
}

}  // namespace
