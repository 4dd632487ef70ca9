#include "cli/commands.hpp"

#include <mediaflow/pipeline/validate.hpp>

#include <cstdio>

namespace mediaflow::cli {

int cmd_validate(const Args& args) {
  if (wants_help(args)) {
    std::printf(
        "usage: mediaflow validate FILE…\n\n"
        "Checks pipeline files the way the host does before it accepts them: JSON syntax, the\n"
        "file's shape, every element and property against the GStreamer registry (after loading\n"
        "the plugins in PLUGIN_DIR), property types and ranges, node names, links and pads,\n"
        "caps, and variable names. Prints every error as 'file:line:col: message' on stderr and\n"
        "'file: ok' on stdout for a good file. Exit code 1 if any file has an error, 2 for bad\n"
        "usage.\n");
    return 0;
  }
  if (args.empty()) {
    std::fprintf(stderr, "mediaflow validate: missing FILE (see --help)\n");
    return 2;
  }
  if (!init_media()) return 1;
  int bad = 0;
  for (const auto& file : args) {
    auto loaded = pipeline::load_pipeline_file(file);
    if (loaded.errors.empty()) {
      std::printf("%s: ok\n", file.c_str());
    } else {
      std::fputs(pipeline::to_string(loaded.errors).c_str(), stderr);
      ++bad;
    }
  }
  return bad ? 1 : 0;
}

}  // namespace mediaflow::cli
