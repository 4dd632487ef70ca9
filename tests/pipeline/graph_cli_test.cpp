// `mediaflow graph` of the real binary: shipped files drawn, --set applied, errors as validate
// gives them, -o to DOT, SVG through Graphviz (a stand-in `dot` always, the real one when
// installed), DOT instead when there is no Graphviz, and no secret in any of it.
#include "pipeline/dot_graph.hpp"
#include "pipeline/pipeline_test_util.hpp"
#include "support/paths.hpp"
#include "support/spawn.hpp"

#include <glib.h>
#include <sys/stat.h>

#include <vector>

namespace {

using mediaflow::test::read_dot;
using mediaflow::test::slurp;
using mediaflow::test::TempDir;
using mediaflow::test::without_addresses;
using CliRun = mediaflow::test::ProcessResult;

CliRun graph(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), {mediaflow::test::mediaflow_binary().string(), "graph"});
  return mediaflow::test::run_process(args, env);
}

std::string shipped(const char* name) {
  return (mediaflow::test::source_dir() / "pipelines" / name).string();
}

// An executable `dot` in `dir` running `body` (sh); PATH=dir makes the command find it.
std::string fake_dot(const TempDir& dir, const std::string& body) {
  auto path = dir.write("dot", "#!/bin/sh\n" + body);
  ::chmod(path.c_str(), 0755);
  return "PATH=" + dir.path.string();
}

TEST(GraphCli, EchoIsTheCallerLinkedStraightToTheWayBack) {
  CliRun r = graph({shipped("echo.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("digraph pipeline {", 0), 0u) << r.out;
  const auto g = read_dot(r.out);
  // @ingest to @egress without caps: the call's own format, nothing in between (byte-exact).
  EXPECT_EQ(g.links, (std::set<std::string>{"caller.src -> back.sink"})) << r.out;
  for (const char* node : {"echo", "caller", "back"}) EXPECT_TRUE(g.labels.count(node)) << node;
}

TEST(GraphCli, DefaultHasEveryNodeAndLinkAndTheSetValues) {
  CliRun r = graph({shipped("default.json"), "--set", "call.sid=CAgraph0001", "--set", "call.stream_sid=MZgraph0001",
                    "--set", "recording.id=rec-graph-1", "--set", "keywords=maybe, never", "--set",
                    "param.greeting=Hello from the graph test."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto g = read_dot(r.out);
  // On the default plane (Twilio's 8 kHz mu-law) the builder decodes after @ingest and
  // encodes before @egress, as the links' raw caps ask.
  const std::set<std::string> expected = {
      "src.src -> src_mulawdec.sink",             "src_mulawdec.src -> src_caller_caps.sink",
      "src_caller_caps.src -> caller.sink",       "caller.src_0 -> asr.sink",
      "caller.src_1 -> agent.sink",               "caller.src_2 -> rec.caller",
      "agent.src -> agent_reply_caps.sink",       "agent_reply_caps.src -> reply.sink",
      "reply.src_0 -> reply_sink_caps.sink",      "reply_sink_caps.src -> sink_mulawenc.sink",
      "sink_mulawenc.src -> sink.sink",           "reply.src_1 -> rec.agent",
      "asr.transcript -> agent.transcript"};  // what the agent hears: the pipeline's link
  for (const auto& link : expected) EXPECT_TRUE(g.links.count(link)) << link << "\n" << r.out;
  for (const char* node : {"src", "src_mulawdec", "caller", "asr", "agent", "reply", "sink_mulawenc", "sink", "rec"})
    EXPECT_TRUE(g.labels.count(node)) << node;
  EXPECT_TRUE(g.has_property("asr", "keywords=\\\"maybe, never\\\"")) << g.labels.at("asr");
  EXPECT_TRUE(g.has_property("agent", "greeting=\\\"Hello from the graph test.\\\"")) << g.labels.at("agent");
  EXPECT_TRUE(g.has_property("rec", "call-sid=\\\"CAgraph0001\\\"")) << g.labels.at("rec");
  EXPECT_TRUE(g.has_property("rec", "recording-id=\\\"rec-graph-1\\\"")) << g.labels.at("rec");
  EXPECT_TRUE(g.has_property("rec", "organization-id=\\\"unassigned\\\"")) << g.labels.at("rec");

  // Without the call's variables the pipeline cannot be built, as for run.
  CliRun missing = graph({shipped("default.json")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("variable ${call."), std::string::npos) << missing.err;
  EXPECT_EQ(missing.out, "");
}

TEST(GraphCli, ABadFileGetsValidatesErrorsAndExitCode) {
  TempDir dir;
  auto bad = dir.write("bad.json", R"({
  "name": "bad",
  "nodes": [
    {"name": "src", "element": "audiotestsrc", "properties": {"freq": "high"}},
    {"name": "sink", "element": "fakesinc"}
  ],
  "links": [{"from": "src", "to": "nowhere"}]
})");
  CliRun v = mediaflow::test::run_process({mediaflow::test::mediaflow_binary().string(), "validate", bad.string()});
  CliRun r = graph({bad.string(), "-o", (dir.path / "bad.dot").string()});
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_EQ(r.exit_code, v.exit_code);
  EXPECT_EQ(r.err, v.err);
  EXPECT_NE(r.err.find(bad.string() + ":5:33: unknown element 'fakesinc'"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(std::filesystem::exists(dir.path / "bad.dot"));
  // Bad usage is 2, as for every command.
  EXPECT_EQ(graph({}).exit_code, 2);
  EXPECT_EQ(graph({shipped("echo.json"), "-o"}).exit_code, 2);
  EXPECT_EQ(graph({shipped("echo.json"), "-o", "a.dot", "-o", "b.dot"}).exit_code, 2);
  CliRun jpg = graph({shipped("echo.json"), "-o", (dir.path / "x.jpg").string()});
  EXPECT_EQ(jpg.exit_code, 2);
  EXPECT_NE(jpg.err.find("use .dot, .gv, .svg, .png or .pdf"), std::string::npos) << jpg.err;
  EXPECT_EQ(graph({shipped("echo.json"), "--set", "nodot"}).exit_code, 2);
}

TEST(GraphCli, DashOWritesTheDotFile) {
  TempDir dir;
  const auto out = dir.path / "echo.dot";
  CliRun r = graph({shipped("echo.json"), "-o", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  CliRun to_stdout = graph({shipped("echo.json"), "-o", "-"});
  ASSERT_EQ(to_stdout.exit_code, 0) << to_stdout.err;
  EXPECT_EQ(without_addresses(slurp(out)), without_addresses(to_stdout.out));
  EXPECT_TRUE(read_dot(slurp(out)).has_link("caller.src", "back.sink"));
  // .gv is DOT too, and --output= spells -o.
  ASSERT_EQ(graph({shipped("echo.json"), "--output=" + (dir.path / "echo.gv").string()}).exit_code, 0);
  EXPECT_EQ(without_addresses(slurp(dir.path / "echo.gv")), without_addresses(to_stdout.out));
}

TEST(GraphCli, AnSvgIsDotsOutputForTheDotTextOnItsStdin) {
  TempDir bin, dir;
  const auto args = dir.path / "args", input = dir.path / "input";
  const std::string path = fake_dot(bin, "echo \"$@\" > '" + args.string() + "'\n/bin/cat > '" + input.string() +
                                             "'\nprintf '<svg>drawn</svg>'\n");
  const auto out = dir.path / "echo.svg";
  CliRun r = graph({shipped("echo.json"), "-o", out.string()}, {path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(slurp(out), "<svg>drawn</svg>");
  EXPECT_EQ(slurp(args), "-Tsvg\n");
  EXPECT_EQ(without_addresses(slurp(input)), without_addresses(graph({shipped("echo.json")}).out));
  // The extension picks dot's output format.
  ASSERT_EQ(graph({shipped("echo.json"), "-o", (dir.path / "echo.PNG").string()}, {path}).exit_code, 0);
  EXPECT_EQ(slurp(args), "-Tpng\n");
}

TEST(GraphCli, AFailingDotIsAnErrorWithItsMessageAndWritesNothing) {
  TempDir bin, dir;
  const std::string path = fake_dot(bin, "/bin/cat > /dev/null\necho 'Error: <stdin>: syntax error in line 3' >&2\nexit 3\n");
  const auto out = dir.path / "echo.svg";
  CliRun r = graph({shipped("echo.json"), "-o", out.string()}, {path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("dot -Tsvg failed (exit code 3): Error: <stdin>: syntax error in line 3; " + out.string() +
                       " not written"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "echo.dot"));
}

TEST(GraphCli, WithoutGraphvizAnSvgRequestWritesTheDotAndSaysSo) {
  TempDir empty, dir;
  const auto out = dir.path / "echo.svg";
  CliRun r = graph({shipped("echo.json"), "-o", out.string()}, {"PATH=" + empty.path.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto written = dir.path / "echo.dot";
  EXPECT_NE(r.err.find("Graphviz 'dot' is not on PATH, so " + out.string() + " was not drawn: wrote the DOT text to " +
                       written.string()),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_TRUE(read_dot(slurp(written)).has_link("caller.src", "back.sink")) << slurp(written);
}

TEST(GraphCli, RealGraphvizDrawsTheNodesIntoTheSvg) {
  gchar* dot = g_find_program_in_path("dot");
  if (!dot) GTEST_SKIP() << "Graphviz 'dot' is not installed (the DOT output is tested without it)";
  g_free(dot);
  TempDir dir;
  const auto out = dir.path / "default.svg";
  CliRun r = graph({shipped("default.json"), "--set", "call.sid=CA1", "--set", "call.stream_sid=MZ1", "--set",
                    "recording.id=r1", "-o", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string svg = slurp(out);
  EXPECT_NE(svg.find("<svg"), std::string::npos) << svg.substr(0, 200);
  for (const char* node : {">caller<", ">agent_reply_caps<", ">rec<"}) EXPECT_NE(svg.find(node), std::string::npos) << node;
}

TEST(GraphCli, NoPlantedKeyInTheGraphOrWhatDotIsFed) {
  const std::string key = "planted-graph-cli-key-R2D5";
  TempDir dir, bin;
  // deepgramasr: a write-only api-key and a URL whose query holds the key; souphttpsrc: a
  // readable password property and a URL whose userinfo holds it.
  auto file = dir.write("keys.json", R"({
  "name": "keys",
  "nodes": [
    {"name": "tone", "element": "audiotestsrc"},
    {"name": "asr", "element": "deepgramasr", "properties": {"api-key": "${env.GRAPH_KEY}", "url": "${env.GRAPH_WS_URL}"}},
    {"name": "http", "element": "souphttpsrc", "properties": {"location": "${env.GRAPH_HTTP_URL}", "user-pw": "${env.GRAPH_KEY}"}},
    {"name": "sink", "element": "fakesink"}
  ],
  "links": [
    {"from": "tone", "to": "asr", "caps": "audio/x-raw,format=S16LE,rate=16000,channels=1"},
    {"from": "http", "to": "sink"}
  ]
})");
  const std::vector<std::string> env = {"GRAPH_KEY=" + key, "GRAPH_WS_URL=ws://127.0.0.1:9/v1/listen?token=" + key,
                                        "GRAPH_HTTP_URL=http://user:" + key + "@127.0.0.1:9/x"};
  CliRun r = graph({file.string()}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find(key), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find(key), std::string::npos) << r.err;
  const auto g = read_dot(r.out);
  EXPECT_TRUE(g.has_property("asr", "url=\\\"ws://127.0.0.1:9/v1/listen?token=<redacted>\\\"")) << g.labels.at("asr");
  EXPECT_EQ(g.labels.at("asr").find("api-key"), std::string::npos) << g.labels.at("asr");
  EXPECT_TRUE(g.has_property("http", "user-pw=<redacted>")) << g.labels.at("http");
  EXPECT_TRUE(g.has_property("http", "location=\\\"http://user:<redacted>@127.0.0.1:9/x\\\"")) << g.labels.at("http");

  const auto input = dir.path / "input";
  std::vector<std::string> with_dot = env;
  with_dot.push_back(fake_dot(bin, "/bin/cat > '" + input.string() + "'\n"));
  CliRun svg = graph({file.string(), "-o", (dir.path / "keys.svg").string()}, with_dot);
  ASSERT_EQ(svg.exit_code, 0) << svg.err;
  EXPECT_NE(slurp(input).find("user-pw=<redacted>"), std::string::npos);
  EXPECT_EQ(slurp(input).find(key), std::string::npos);
}

}  // namespace
