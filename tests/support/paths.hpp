// Where the source tree, the build tree, the plugins and the mediaflow binary are.
#pragma once

#include <filesystem>
#include <string>

namespace mediaflow::test {

std::filesystem::path source_dir();
std::filesystem::path build_dir();
std::filesystem::path plugin_dir();
std::filesystem::path mediaflow_binary();

// The bytes of a saved fuzzer finding, tests/fuzz/regressions/<target>/<name>.
std::string fuzz_regression(const std::string& target, const std::string& name);

}  // namespace mediaflow::test
