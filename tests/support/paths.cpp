#include "support/paths.hpp"

#include <fstream>
#include <iterator>

namespace mediaflow::test {

std::filesystem::path source_dir() { return MEDIAFLOW_SOURCE_DIR; }
std::filesystem::path build_dir() { return MEDIAFLOW_BUILD_DIR; }
std::filesystem::path plugin_dir() { return MEDIAFLOW_PLUGIN_BUILD_DIR; }
std::filesystem::path mediaflow_binary() { return build_dir() / "mediaflow"; }

std::string fuzz_regression(const std::string& target, const std::string& name) {
  std::ifstream in(source_dir() / "tests" / "fuzz" / "regressions" / target / name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace mediaflow::test
