#include "cli/commands.hpp"

#include <cstdio>

namespace mediaflow::cli {

int cmd_validate(const Args&) {
  std::fprintf(stderr, "mediaflow: 'validate' is not available in this build yet\n");
  return 2;
}

}  // namespace mediaflow::cli
