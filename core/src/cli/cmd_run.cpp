#include "cli/commands.hpp"

#include <cstdio>

namespace mediaflow::cli {

int cmd_run(const Args&) {
  std::fprintf(stderr, "mediaflow: 'run' is not available in this build yet\n");
  return 2;
}

}  // namespace mediaflow::cli
