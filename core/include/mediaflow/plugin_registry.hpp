// Loads plugin libraries at runtime (Boost.DLL), checks their descriptor, and registers
// their elements with GStreamer exactly once per process.
#pragma once

#include <mediaflow/plugin_api.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow {

struct LoadedElement {
  std::string name;
  std::string role;
  std::string description;
  // False when GStreamer already had a factory of this name (e.g. GST_PLUGIN_PATH points at
  // the same folder): the existing one is used, nothing is registered twice.
  bool registered_here = false;
};

struct LoadedPlugin {
  std::filesystem::path file;
  std::string name;
  std::string version;
  std::string description;
  std::vector<LoadedElement> elements;
  std::vector<TransportDescriptor> transports;  // its pointers live as long as the process
};

struct PluginLoadError {
  std::filesystem::path file;
  std::string reason;
  // One line naming the file and the reason, for logs and the CLI.
  std::string message() const;
};

struct PluginLoadReport {
  std::vector<LoadedPlugin> loaded;
  std::vector<PluginLoadError> errors;
};

// Loads every shared library in `dir` (sorted by name). A library that cannot be loaded,
// lacks the descriptor or has another API version is reported and skipped; the others
// load. A plugin already loaded (same name) is skipped silently. Libraries are never
// unloaded: GStreamer keeps pointers into them. Call after gst_init, before pipelines.
PluginLoadReport load_plugins(const std::filesystem::path& dir);

// Every plugin loaded so far in this process.
const std::vector<LoadedPlugin>& loaded_plugins();

// Every transport of the loaded plugins, and one by name.
std::vector<TransportDescriptor> loaded_transports();
std::optional<TransportDescriptor> find_transport(std::string_view name);

// PLUGIN_DIR if set, else the build's or install's plugin folder next to the executable.
std::filesystem::path default_plugin_dir();

}  // namespace mediaflow
