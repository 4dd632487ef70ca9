// The host's pipeline catalog: reload keeps the old version of a refused file.
#include "pipeline/pipeline_test_util.hpp"
#include "support/paths.hpp"

#include <mediaflow/pipeline/catalog.hpp>
#include <mediaflow/plugin_registry.hpp>

#include <fstream>
#include <sstream>
#include <thread>

namespace {

using namespace mediaflow::pipeline;
using mediaflow::test::TempDir;

class PipelineCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override { gst_init(nullptr, nullptr); }
};

std::string sink_pipeline(const std::string& name, const std::string& description) {
  return "{\"name\": \"" + name + "\", \"description\": \"" + description +
         "\", \"nodes\": [{\"name\": \"src\", \"element\": \"audiotestsrc\"}, {\"name\": \"sink\", \"element\": "
         "\"fakesink\"}], \"links\": [{\"from\": \"src\", \"to\": \"sink\"}]}";
}

TEST_F(PipelineCatalogTest, ReloadKeepsTheOldVersionOfARefusedFileAndTakesGoodOnes) {
  TempDir dir;
  dir.write("default.json", sink_pipeline("default", "mine"));
  dir.write("echo.json", sink_pipeline("echo", "v1"));
  dir.write("notes.txt", "not a pipeline");
  PipelineCatalog catalog(dir.path);
  auto first = catalog.reload();
  EXPECT_TRUE(first.errors.empty()) << to_string(first.errors);
  EXPECT_EQ(catalog.names(), (std::vector<std::string>{"default", "echo"}));
  auto v1 = catalog.find("echo");
  ASSERT_NE(v1, nullptr);
  EXPECT_EQ(v1->description, "v1");
  EXPECT_EQ(catalog.find("default")->description, "mine");

  // A broken edit: refused, reported with its position, v1 stays in service.
  dir.write("echo.json", "{\"name\": \"echo\",\n \"nodes\": [{\"name\": \"s\", \"element\": \"nosuch\"}]}");
  auto second = catalog.reload();
  ASSERT_EQ(second.errors.size(), 1u);
  EXPECT_EQ(second.errors[0].str(), (dir.path / "echo.json").string() +
                                        ":2:37: unknown element 'nosuch' (node 's'); 'mediaflow plugins' lists ours, "
                                        "gst-inspect-1.0 the stock ones");
  EXPECT_EQ(second.kept, std::vector<std::string>{"echo"});
  EXPECT_EQ(catalog.find("echo"), v1);

  // A good edit replaces it; a new file is added; a file whose name field differs is refused.
  dir.write("echo.json", sink_pipeline("echo", "v2"));
  dir.write("fresh.json", sink_pipeline("fresh", "new"));
  dir.write("misnamed.json", sink_pipeline("other", "x"));
  auto third = catalog.reload();
  ASSERT_EQ(third.errors.size(), 1u);
  EXPECT_EQ(third.errors[0].str(), (dir.path / "misnamed.json").string() +
                                       ":1:10: pipeline name 'other' does not match the file name 'misnamed.json'");
  EXPECT_EQ(catalog.find("echo")->description, "v2");
  EXPECT_EQ(catalog.find("fresh")->description, "new");
  EXPECT_EQ(catalog.find("misnamed"), nullptr);
  EXPECT_EQ(v1->description, "v1");  // a spec handed out earlier stays valid

  // A deleted file leaves the catalog.
  std::filesystem::remove(dir.path / "fresh.json");
  auto fourth = catalog.reload();
  EXPECT_EQ(fourth.removed, std::vector<std::string>{"fresh"});
  EXPECT_EQ(catalog.find("fresh"), nullptr);
}

TEST_F(PipelineCatalogTest, FindIsSafeWhileReloading) {
  TempDir dir;
  dir.write("default.json", sink_pipeline("default", "d"));
  dir.write("a.json", sink_pipeline("a", "a"));
  PipelineCatalog catalog(dir.path);
  catalog.reload();
  std::atomic<bool> stop{false};
  std::atomic<int> misses{0};
  std::thread reader([&] {
    while (!stop) {
      auto s = catalog.find("a");
      if (!s || s->name != "a") ++misses;
    }
  });
  for (int i = 0; i < 50; ++i) catalog.reload();
  stop = true;
  reader.join();
  EXPECT_EQ(misses.load(), 0);
}

TEST_F(PipelineCatalogTest, EmbeddedDefaultIsTheShippedFileAndValidates) {
  std::ifstream in(mediaflow::test::source_dir() / "pipelines" / "default.json");
  std::stringstream shipped;
  shipped << in.rdbuf();
  EXPECT_EQ(std::string(kEmbeddedDefaultPipeline), shipped.str());

  mediaflow::load_plugins(mediaflow::test::plugin_dir());
  TempDir empty;
  PipelineCatalog catalog(empty.path);
  auto report = catalog.reload();
  EXPECT_TRUE(report.errors.empty()) << to_string(report.errors);
  auto spec = catalog.find("default");
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->file, "<built-in>/default.json");
}

}  // namespace
