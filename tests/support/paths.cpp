#include "support/paths.hpp"

namespace mediaflow::test {

std::filesystem::path source_dir() { return MEDIAFLOW_SOURCE_DIR; }
std::filesystem::path build_dir() { return MEDIAFLOW_BUILD_DIR; }
std::filesystem::path plugin_dir() { return MEDIAFLOW_PLUGIN_BUILD_DIR; }
std::filesystem::path mediaflow_binary() { return build_dir() / "mediaflow"; }

}  // namespace mediaflow::test
