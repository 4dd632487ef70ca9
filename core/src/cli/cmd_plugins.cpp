#include "cli/commands.hpp"

#include <mediaflow/plugin_registry.hpp>

#include <cstdio>

namespace mediaflow::cli {

int cmd_plugins(const Args& args) {
  if (wants_help(args)) {
    std::printf(
        "usage: mediaflow plugins\n\n"
        "Loads every plugin library in PLUGIN_DIR and lists each plugin with its version and\n"
        "its elements (name, role, description). Libraries that fail to load are reported on\n"
        "stderr, one line each, and the exit code is 1.\n");
    return 0;
  }
  int errors = 0;
  if (!init_media(&errors)) return 1;
  std::printf("plugin dir: %s\n", default_plugin_dir().c_str());
  for (const auto& p : loaded_plugins()) {
    std::printf("%s %s  (%s)\n  %s\n", p.name.c_str(), p.version.c_str(), p.file.c_str(),
                p.description.c_str());
    for (const auto& t : p.transports) {
      // A media plane: where the host serves it, and its ends for @ingest / @egress.
      std::printf("    transport %s: WebSocket at $%s [%s]%s%s, @ingest %s, @egress %s%s%s\n", t.name, t.path_env,
                  t.default_path, t.subprotocol ? ", subprotocol " : "", t.subprotocol ? t.subprotocol : "",
                  t.ingest_factory, t.egress_factory, t.webhook_path ? ", webhook POST " : "",
                  t.webhook_path ? t.webhook_path : "");
    }
    for (const auto& e : p.elements) {
      std::printf("    %-18s %-9s %s\n", e.name.c_str(), e.role.c_str(), e.description.c_str());
    }
  }
  return errors == 0 ? 0 : 1;
}

}  // namespace mediaflow::cli
