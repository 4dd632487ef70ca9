#include "cli/commands.hpp"
#include "cli/pipeline_args.hpp"

#include <mediaflow/pipeline/launch_line.hpp>

#include <cstdio>

namespace mediaflow::cli {

int cmd_launch_line(const Args& args) {
  if (wants_help(args)) {
    std::printf(
        "usage: mediaflow launch-line FILE [--set KEY=VALUE]…\n\n"
        "Validates FILE and prints the equivalent gst-launch-1.0 command, quoted for the shell,\n"
        "so the pipeline can be reproduced by hand (GST_PLUGIN_PATH=<PLUGIN_DIR> makes our own\n"
        "elements visible to gst-launch-1.0). Variables are filled from --set: KEY is a full\n"
        "name (call.sid, call.stream_sid, call.account_sid, recording.id, param.NAME) or a bare\n"
        "NAME meaning param.NAME; ${env.NAME} comes from the environment. A variable that is\n"
        "needed, unset and without a default is an error (exit 1).\n");
    return 0;
  }
  PipelineArgs pa;
  if (!parse_pipeline_args(args, "launch-line", &pa)) return 2;
  if (!init_media()) return 1;
  auto spec = load_or_report(pa.file);
  if (!spec) return 1;
  std::string error;
  std::string line = pipeline::launch_command(*spec, pa.vars, &error);
  if (line.empty()) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  std::printf("%s\n", line.c_str());
  return 0;
}

}  // namespace mediaflow::cli
