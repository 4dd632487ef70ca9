// pipeline_dot: a built pipeline as GStreamer draws it, secrets hidden.
#include "pipeline/dot_graph.hpp"
#include "pipeline/pipeline_test_util.hpp"

#include <mediaflow/pipeline/build.hpp>
#include <mediaflow/pipeline/graph.hpp>

namespace {

using namespace mediaflow::pipeline;
using mediaflow::test::read_dot;

constexpr const char* kKey = "planted-graph-key-J4W8";

class PipelineGraph : public ::testing::Test {
 protected:
  void SetUp() override { gst_init(nullptr, nullptr); }
  void TearDown() override {
    if (pipeline_) gst_object_unref(pipeline_);
  }

  // Loads, validates and builds `text` (as the host does); the pipeline lives until TearDown.
  GstElement* build(const std::string& text, const Variables& vars = {}) {
    auto r = load_pipeline(text, "g.json");
    EXPECT_TRUE(r.errors.empty()) << to_string(r.errors);
    if (!r.spec) return nullptr;
    auto built = build_pipeline(*r.spec, vars);
    EXPECT_NE(built.pipeline, nullptr) << built.error;
    pipeline_ = built.pipeline;
    return pipeline_;
  }

  // GStreamer's own drawing with the same details, without our redaction.
  static std::string unredacted(GstElement* pipeline) {
    gchar* raw = gst_debug_bin_to_dot_data(GST_BIN(pipeline), kGraphDetails);
    std::string out(raw);
    g_free(raw);
    return out;
  }

  GstElement* pipeline_ = nullptr;
};

TEST_F(PipelineGraph, DrawsEveryNodeItsPropertiesAndEveryLinkThroughItsCapsfilter) {
  GstElement* p = build(R"({
  "name": "fan",
  "nodes": [
    {"name": "src", "element": "audiotestsrc", "properties": {"num-buffers": 20, "wave": "${param.wave:-square}"}},
    {"name": "t", "element": "tee"},
    {"name": "q", "element": "queue", "properties": {"leaky": "downstream"}},
    {"name": "a", "element": "fakesink"},
    {"name": "b", "element": "fakesink", "properties": {"sync": true}}
  ],
  "links": [
    {"from": "src", "to": "t", "caps": "audio/x-raw,format=S16LE,rate=8000,channels=1"},
    {"from": "t", "to": "q"},
    {"from": "q", "to": "a"},
    {"from": "t", "to": "b"}
  ]
})",
                        {{"param.wave", "silence"}});
  ASSERT_NE(p, nullptr);
  std::string error;
  const std::string dot = pipeline_dot(p, &error);
  ASSERT_FALSE(dot.empty()) << error;
  EXPECT_EQ(dot.rfind("digraph pipeline {", 0), 0u) << dot;
  const auto g = read_dot(dot);
  EXPECT_EQ(g.links, (std::set<std::string>{"src.src -> src_t_caps.sink", "src_t_caps.src -> t.sink",
                                            "t.src_0 -> q.sink", "q.src -> a.sink", "t.src_1 -> b.sink"}))
      << dot;
  for (const char* node : {"fan", "src", "src_t_caps", "t", "q", "a", "b"}) EXPECT_TRUE(g.labels.count(node)) << node;
  // Properties away from their defaults, the variable's value applied; defaults not drawn.
  EXPECT_TRUE(g.has_property("src", "num-buffers=20")) << g.labels.at("src");
  EXPECT_TRUE(g.has_property("src", "wave=silence")) << g.labels.at("src");
  EXPECT_TRUE(g.has_property("q", "leaky=downstream")) << g.labels.at("q");
  EXPECT_TRUE(g.has_property("src_t_caps", "caps=audio/x-raw, format=(string)S16LE, rate=(int)8000, channels=(int)1"))
      << g.labels.at("src_t_caps");
  // fakesink starts with sync=FALSE, away from GstBaseSink's default (TRUE): the file's
  // sync=true puts it back to the default, which is not drawn.
  EXPECT_TRUE(g.has_property("a", "sync=FALSE")) << g.labels.at("a");
  EXPECT_EQ(g.labels.at("b").find("sync="), std::string::npos) << g.labels.at("b");
  EXPECT_EQ(g.labels.at("src").find("freq="), std::string::npos) << "a default";
  // Built, not played: no element state in the labels.
  EXPECT_EQ(g.labels.at("t").find("[0]"), std::string::npos) << g.labels.at("t");
}

TEST_F(PipelineGraph, AReadableSecretAndUrlCredentialsShowAsRedacted) {
  const std::string key = kKey;
  const std::string odd = std::string(kKey) + "-with\"quote\\and-backslash";
  GstElement* p = build(R"({
  "name": "http",
  "nodes": [
    {"name": "src", "element": "souphttpsrc", "properties": {
      "location": "${param.url}", "user-pw": "${param.pw}", "proxy-pw": "${param.odd}"}},
    {"name": "sink", "element": "fakesink"}
  ],
  "links": [{"from": "src", "to": "sink"}]
})",
                        {{"param.url", "http://user:" + key + "@127.0.0.1:1/x?access_token=" + key + "&a=1"},
                         {"param.pw", key},
                         {"param.odd", odd}});
  ASSERT_NE(p, nullptr);
  // GStreamer itself draws them: this is what the redaction has to take out.
  const std::string raw = unredacted(p);
  ASSERT_NE(raw.find("user-pw=\\\"" + key + "\\\""), std::string::npos) << raw;
  ASSERT_NE(raw.find("@127.0.0.1:1/x?access_token=" + key), std::string::npos) << raw;

  std::string error;
  const std::string dot = pipeline_dot(p, &error);
  ASSERT_FALSE(dot.empty()) << error;
  EXPECT_EQ(dot.find(kKey), std::string::npos) << dot;
  EXPECT_EQ(dot.find("quote"), std::string::npos) << dot;
  const auto g = read_dot(dot);
  EXPECT_TRUE(g.has_property("src", "user-pw=<redacted>")) << g.labels.at("src");
  EXPECT_TRUE(g.has_property("src", "proxy-pw=<redacted>")) << g.labels.at("src");
  EXPECT_TRUE(g.has_property("src", "location=\\\"http://user:<redacted>@127.0.0.1:1/x?access_token=<redacted>&a=1\\\""))
      << g.labels.at("src");
  EXPECT_TRUE(g.has_link("src.src", "sink.sink")) << dot;
}

TEST_F(PipelineGraph, ASecretInsideABinIsHiddenToo) {
  GstElement* p = build(R"({
  "name": "outer",
  "nodes": [{"name": "sink", "element": "fakesink"}]
})");
  ASSERT_NE(p, nullptr);
  GstElement* bin = gst_bin_new("inner");
  GstElement* src = gst_element_factory_make("souphttpsrc", "fetch");
  ASSERT_NE(src, nullptr);
  g_object_set(src, "user-pw", kKey, nullptr);
  gst_bin_add(GST_BIN(bin), src);
  gst_bin_add(GST_BIN(p), bin);
  ASSERT_NE(unredacted(p).find(kKey), std::string::npos);
  std::string error;
  const std::string dot = pipeline_dot(p, &error);
  ASSERT_FALSE(dot.empty()) << error;
  EXPECT_EQ(dot.find(kKey), std::string::npos) << dot;
  EXPECT_TRUE(read_dot(dot).has_property("fetch", "user-pw=<redacted>")) << dot;
}

TEST_F(PipelineGraph, ASecretRepeatedInAnOrdinaryPropertyRefusesTheWholeGraph) {
  // user-agent is no secret and holds no URL: only the final check finds the key there.
  GstElement* p = build(R"({
  "name": "http",
  "nodes": [
    {"name": "src", "element": "souphttpsrc", "properties": {"user-pw": "${param.pw}", "user-agent": "agent ${param.pw}"}},
    {"name": "sink", "element": "fakesink"}
  ],
  "links": [{"from": "src", "to": "sink"}]
})",
                        {{"param.pw", kKey}});
  ASSERT_NE(p, nullptr);
  std::string error;
  EXPECT_EQ(pipeline_dot(p, &error), "");
  EXPECT_EQ(error,
            "cannot draw the pipeline without showing the value of property 'user-pw' of node 'src' (a secret, or a URL "
            "with credentials)");
}

}  // namespace
