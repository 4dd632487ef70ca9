#include "cli/commands.hpp"

#include <cstdio>

namespace mediaflow::cli {

int cmd_launch_line(const Args&) {
  std::fprintf(stderr, "mediaflow: 'launch_line' is not available in this build yet\n");
  return 2;
}

}  // namespace mediaflow::cli
