// Where the source tree, the build tree, the plugins and the mediaflow binary are.
#pragma once

#include <filesystem>

namespace mediaflow::test {

std::filesystem::path source_dir();
std::filesystem::path build_dir();
std::filesystem::path plugin_dir();
std::filesystem::path mediaflow_binary();

}  // namespace mediaflow::test
