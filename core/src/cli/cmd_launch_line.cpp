#include "cli/commands.hpp"
#include "cli/pipeline_args.hpp"

#include <mediaflow/pipeline/launch_line.hpp>

#include <cstdio>
#include <vector>

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
        "needed, unset and without a default is an error (exit 1).\n\n"
        "Secrets (write-only properties such as api-key) are never printed: one whose value is\n"
        "exactly ${env.NAME} shows as ${env.NAME}, any other as <redacted>; a note on stderr says\n"
        "how to supply each before running the command.\n");
    return 0;
  }
  PipelineArgs pa;
  if (!parse_pipeline_args(args, "launch-line", &pa)) return 2;
  if (!init_media()) return 1;
  auto spec = load_or_report(pa.file);
  if (!spec) return 1;
  std::string error;
  std::vector<pipeline::HiddenSecret> hidden;
  std::string line = pipeline::launch_command(*spec, pa.vars, &error, &hidden);
  if (line.empty()) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  std::printf("%s\n", line.c_str());
  for (const auto& h : hidden) {
    if (!h.env_name.empty())
      std::fprintf(stderr,
                   "mediaflow launch-line: property '%s' of node '%s' is a secret and is not printed: it shows as "
                   "${env.%s}; replace that with \"$%s\" (the shell fills it in from the environment)\n",
                   h.property.c_str(), h.node.c_str(), h.env_name.c_str(), h.env_name.c_str());
    else
      std::fprintf(stderr,
                   "mediaflow launch-line: property '%s' of node '%s' is a secret and is not printed: it shows as "
                   "<redacted>; replace that with the value, e.g. \"$MY_SECRET\" from an environment variable\n",
                   h.property.c_str(), h.node.c_str());
  }
  return 0;
}

}  // namespace mediaflow::cli
