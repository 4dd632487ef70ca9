#include "cli/commands.hpp"

#include <mediaflow/plugin_registry.hpp>

#include <gst/gst.h>

#include <cstdio>

namespace mediaflow::cli {

bool init_media(int* plugin_errors) {
  GError* err = nullptr;
  if (!gst_init_check(nullptr, nullptr, &err)) {
    std::fprintf(stderr, "mediaflow: cannot initialise GStreamer: %s\n", err ? err->message : "?");
    g_clear_error(&err);
    return false;
  }
  PluginLoadReport report = load_plugins(default_plugin_dir());
  for (const auto& e : report.errors) std::fprintf(stderr, "mediaflow: %s\n", e.message().c_str());
  if (plugin_errors) *plugin_errors = static_cast<int>(report.errors.size());
  return true;
}

}  // namespace mediaflow::cli
