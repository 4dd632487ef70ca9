#include "cli/commands.hpp"

#include <cstdio>

namespace mediaflow::cli {

int cmd_dial(const Args&) {
  std::fprintf(stderr, "mediaflow: 'dial' is not available in this build yet\n");
  return 2;
}

}  // namespace mediaflow::cli
