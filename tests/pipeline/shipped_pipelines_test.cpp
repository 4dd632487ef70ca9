// Every pipeline file we ship parses and validates against the real registry (our plugins
// loaded): a file naming an element that does not exist is a real failure.
#include "pipeline/pipeline_test_util.hpp"
#include "support/paths.hpp"

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
    if (r.spec) EXPECT_EQ(r.spec->name, entry.path().stem().string());
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
