// Every pipeline file we ship parses and validates against the real registry (our plugins
// loaded): a file naming an element that does not exist is a real failure.
#include "pipeline/pipeline_test_util.hpp"
#include "support/paths.hpp"

#include <mediaflow/pipeline/parser.hpp>
#include <mediaflow/plugin_registry.hpp>

#include <json-glib/json-glib.h>

namespace {

TEST(PipelineShipped, EveryShippedPipelineValidates) {
  gst_init(nullptr, nullptr);
  mediaflow::load_plugins(mediaflow::test::plugin_dir());
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(mediaflow::test::source_dir() / "pipelines")) {
    if (entry.path().extension() != ".json" || entry.path().filename() == "schema.json") continue;
    auto r = mediaflow::pipeline::load_pipeline_file(entry.path());
    EXPECT_TRUE(r.errors.empty()) << mediaflow::pipeline::to_string(r.errors);
    if (r.spec) {
      EXPECT_EQ(r.spec->name, entry.path().stem().string());
    }
    ++checked;
  }
  EXPECT_GE(checked, 1);
}

TEST(PipelineShipped, SchemaIsJsonWithTheTopLevelShape) {
  JsonParser* parser = json_parser_new();
  GError* err = nullptr;
  auto path = mediaflow::test::source_dir() / "pipelines" / "schema.json";
  ASSERT_TRUE(json_parser_load_from_file(parser, path.c_str(), &err)) << (err ? err->message : "");
  JsonObject* root = json_node_get_object(json_parser_get_root(parser));
  EXPECT_STREQ(json_object_get_string_member(root, "$schema"), "https://json-schema.org/draft/2020-12/schema");
  JsonObject* props = json_object_get_object_member(root, "properties");
  for (const char* key : {"name", "description", "nodes", "links"}) EXPECT_TRUE(json_object_has_member(props, key)) << key;
  g_object_unref(parser);
}

}  // namespace

namespace {

// Checks with an independent validator (python3-jsonschema, see scripts/install-deps.sh) that
// the schema is a valid 2020-12 schema, accepts every shipped pipeline and rejects wrong shapes.
TEST(PipelineShipped, SchemaAcceptsShippedFilesAndRejectsBadShapes) {
  std::string script = R"(
import json, pathlib, sys, jsonschema
root = pathlib.Path(sys.argv[1]) / "pipelines"
schema = json.load(open(root / "schema.json"))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for f in sorted(root.glob("*.json")):
    if f.name == "schema.json": continue
    errs = [e.message for e in v.iter_errors(json.load(open(f)))]
    if errs: print(f.name, errs); sys.exit(1)
bad = [{"nodes": [{"name": "a", "element": "x"}]},
       {"name": "x", "nodes": []},
       {"name": "x", "nodes": [{"name": "a b", "element": "x"}]},
       {"name": "x", "nodes": [{"name": "a", "element": "x", "properties": {"p": None}}]},
       {"name": "x", "nodes": [{"name": "a", "element": "x"}], "links": [{"from": "a"}]},
       {"name": "x", "nodes": [{"name": "a", "element": "x"}], "colour": 1}]
for b in bad:
    if v.is_valid(b): print("accepted", b); sys.exit(1)
print("schema ok")
)";
  std::string src = mediaflow::test::source_dir().string();
  gchar* argv[] = {const_cast<gchar*>("python3"), const_cast<gchar*>("-c"), const_cast<gchar*>(script.c_str()),
                   const_cast<gchar*>(src.c_str()), nullptr};
  gchar* out = nullptr;
  gchar* err = nullptr;
  gint status = -1;
  ASSERT_TRUE(g_spawn_sync(nullptr, argv, nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, &err, &status, nullptr));
  EXPECT_TRUE(g_spawn_check_wait_status(status, nullptr)) << out << err;
  EXPECT_STREQ(out, "schema ok\n");
  g_free(out);
  g_free(err);
}

}  // namespace

namespace {

// "A pipeline swaps deepgramasr for assemblyaiasr by editing one node": transcribe-assemblyai
// is transcribe-deepgram with only the asr node changed. Besides its own name, every node,
// property and link is the same (the recorder names its pipeline with ${pipeline.name}).
TEST(PipelineShipped, TranscribeAssemblyAiIsTranscribeDeepgramWithOneNodeSwapped) {
  namespace pl = mediaflow::pipeline;
  const auto dir = mediaflow::test::source_dir() / "pipelines";
  auto deepgram = pl::parse_pipeline_file(dir / "transcribe-deepgram.json");
  auto assemblyai = pl::parse_pipeline_file(dir / "transcribe-assemblyai.json");
  ASSERT_TRUE(deepgram.spec && deepgram.errors.empty());
  ASSERT_TRUE(assemblyai.spec && assemblyai.errors.empty());
  const auto node_text = [](const pl::PipelineSpec&, const pl::NodeSpec& node) {
    std::string text = node.name + " " + node.element;
    for (const auto& p : node.properties) text += " " + p.name + "=" + p.text;
    return text;
  };
  ASSERT_EQ(assemblyai.spec->nodes.size(), deepgram.spec->nodes.size());
  std::vector<std::string> different;
  for (std::size_t i = 0; i < deepgram.spec->nodes.size(); ++i) {
    const std::string a = node_text(*deepgram.spec, deepgram.spec->nodes[i]);
    const std::string b = node_text(*assemblyai.spec, assemblyai.spec->nodes[i]);
    if (a != b) different.push_back(deepgram.spec->nodes[i].name + ": " + a + " | " + b);
  }
  ASSERT_EQ(different.size(), 1u) << ::testing::PrintToString(different);
  EXPECT_EQ(different[0].rfind("asr: asr deepgramasr", 0), 0u) << different[0];
  EXPECT_NE(different[0].find("| asr assemblyaiasr"), std::string::npos) << different[0];

  const auto links = [](const pl::PipelineSpec& spec) {
    std::vector<std::string> out;
    for (const auto& l : spec.links)
      out.push_back(l.from.node + "." + l.from.pad + ">" + l.to.node + "." + l.to.pad + ":" + l.caps.value_or(""));
    return out;
  };
  EXPECT_EQ(links(*assemblyai.spec), links(*deepgram.spec));
}

}  // namespace
