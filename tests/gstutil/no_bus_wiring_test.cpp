// Elements are wired by the pipeline file, never through the bus (issue 15, "Transcripts
// in-band"): no element code may watch a bus — no sync-message handler, no bus watch, no
// reading its pipeline's bus. The bus is the host's (transcript.jsonl, events, webhooks).
// This scans the element side of the tree: every plugin and the SDK's element base classes
// and helpers. The one SDK helper that owns a bus, run_to_eos (it runs a whole pipeline for
// an offline tool, as an application), is not element code.
#include "support/paths.hpp"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mediaflow::test {
namespace {

namespace fs = std::filesystem;

bool is_source(const fs::path& p) {
  const auto ext = p.extension().string();
  return ext == ".cpp" || ext == ".hpp" || ext == ".h" || ext == ".c" || ext == ".cc";
}

TEST(NoBusWiring, NoElementCodeWatchesOrReadsABus) {
  const fs::path root = source_dir();
  const std::array<fs::path, 7> trees = {
      root / "plugins",
      root / "core/src/vendor",
      root / "core/src/transport",
      root / "core/src/gstutil",
      root / "core/include/mediaflow/vendor",
      root / "core/include/mediaflow/transport",
      root / "core/include/mediaflow/gstutil",
  };
  const std::array<const char*, 6> patterns = {
      "sync-message", "sync_message", "gst_bus_", "get_bus", "GST_ELEMENT_BUS", "top_level_bus",
  };
  std::vector<std::string> found;
  std::size_t scanned = 0;
  for (const auto& tree : trees) {
    ASSERT_TRUE(fs::is_directory(tree)) << tree;
    for (const auto& entry : fs::recursive_directory_iterator(tree)) {
      if (!entry.is_regular_file() || !is_source(entry.path())) continue;
      if (entry.path().filename().string().rfind("run_to_eos.", 0) == 0) continue;
      ++scanned;
      std::ifstream in(entry.path());
      std::string line;
      for (int n = 1; std::getline(in, line); ++n)
        for (const char* p : patterns)
          if (line.find(p) != std::string::npos)
            found.push_back(fs::relative(entry.path(), root).string() + ":" + std::to_string(n) + ": " + line);
    }
  }
  EXPECT_GT(scanned, 50u) << "the scan found too few sources: wrong tree?";
  std::ostringstream list;
  for (const auto& f : found) list << "\n  " << f;
  EXPECT_TRUE(found.empty()) << "element code touches a bus (link pads in the pipeline file instead; "
                                "docs/plugin-authoring.md):"
                             << list.str();
}

}  // namespace
}  // namespace mediaflow::test
