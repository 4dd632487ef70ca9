#include <mediaflow/cli.hpp>

#include "cli/commands.hpp"

#include <cstdio>
#include <cstring>

namespace mediaflow::cli {
namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*fn)(const Args&);
};

constexpr Command kCommands[] = {
    {"serve", "run the host: Twilio Media Streams WebSocket + HTTP", cmd_serve},
    {"run", "run one pipeline file offline until EOS", cmd_run},
    {"validate", "check pipeline files; non-zero exit on any error", cmd_validate},
    {"launch-line", "print the equivalent gst-launch-1.0 line of a pipeline file", cmd_launch_line},
    {"graph", "draw a pipeline file: Graphviz DOT, or SVG/PNG/PDF with dot", cmd_graph},
    {"plugins", "list loaded plugins and their elements", cmd_plugins},
    {"inspect", "describe one element (pads, caps, properties)", cmd_inspect},
    {"dial", "simulate a Twilio call against a running host", cmd_dial},
    {"recover", "finalise recordings left behind by a crash", cmd_recover},
};

void usage(FILE* out) {
  std::fprintf(out, "usage: mediaflow <command> [options]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-12s %s\n", c.name, c.summary);
  std::fprintf(out, "\n'mediaflow <command> --help' describes a command.\n");
}

}  // namespace

bool wants_help(const Args& args) {
  for (const auto& a : args)
    if (a == "-h" || a == "--help") return true;
  return false;
}

int run_cli(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (!std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "help")) {
    usage(stdout);
    return 0;
  }
  Args args(argv + 2, argv + argc);
  for (const auto& c : kCommands) {
    if (!std::strcmp(argv[1], c.name)) return c.fn(args);
  }
  std::fprintf(stderr, "mediaflow: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}

}  // namespace mediaflow::cli
