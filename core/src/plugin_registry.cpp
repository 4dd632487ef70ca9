#include <mediaflow/plugin_registry.hpp>

#include <boost/dll/shared_library.hpp>
#include <boost/dll/runtime_symbol_info.hpp>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <set>

namespace mediaflow {
namespace {

std::mutex g_mutex;
std::vector<LoadedPlugin> g_plugins;
// Kept alive for the process lifetime: GStreamer holds pointers into these libraries.
std::vector<boost::dll::shared_library>& libraries() {
  static auto* libs = new std::vector<boost::dll::shared_library>();
  return *libs;
}

bool is_shared_library(const std::filesystem::path& p) {
  return p.extension() == ".so" && std::filesystem::is_regular_file(p);
}

bool factory_exists(const char* name) {
  GstPluginFeature* f = gst_registry_lookup_feature(gst_registry_get(), name);
  if (!f) return false;
  gst_object_unref(f);
  return true;
}

// Returns an empty string on success, else the reason.
std::string load_one(const std::filesystem::path& file, LoadedPlugin& out) {
  boost::dll::shared_library lib;
  boost::dll::fs::error_code ec;
  lib.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec) return "cannot load library: " + ec.message();
  if (!lib.has(kPluginDescriptorSymbol)) {
    return std::string("not a mediaflow plugin: no '") + kPluginDescriptorSymbol + "' descriptor";
  }
  auto& fn = lib.get_alias<PluginDescriptorFn>(kPluginDescriptorSymbol);
  const PluginDescriptor* d = fn();
  if (!d) return "descriptor function returned null";
  if (d->api_version != kPluginApiVersion) {
    return "plugin API version " + std::to_string(d->api_version) + ", this host speaks " +
           std::to_string(kPluginApiVersion);
  }
  if (!d->name || !d->register_elements || (!d->elements && d->element_count)) {
    return "descriptor incomplete (name, elements or register function missing)";
  }
  for (std::size_t i = 0; i < d->transport_count; ++i) {
    const TransportDescriptor* t = d->transports ? &d->transports[i] : nullptr;
    if (!t || !t->name || !t->path_env || !t->default_path || t->default_path[0] != '/' || !t->ingest_factory ||
        !t->egress_factory || !t->create_codec)
      return "transport descriptor incomplete (name, path, ingest, egress or codec missing)";
    if ((t->webhook_path == nullptr) != (t->answer_webhook == nullptr) || (t->webhook_path && t->webhook_path[0] != '/'))
      return std::string("transport '") + t->name + "': a webhook needs both an absolute path and a handler";
    for (const auto& p : g_plugins)
      for (const auto& other : p.transports)
        if (std::string_view(other.name) == t->name)
          return std::string("transport '") + t->name + "' is already brought by plugin " + p.name;
  }
  for (const auto& p : g_plugins) {
    if (p.name == d->name) return {};  // same plugin seen already (e.g. a copy): skip quietly
  }
  out.file = file;
  out.name = d->name;
  out.version = d->version ? d->version : "";
  out.description = d->description ? d->description : "";
  bool all_present = true;
  for (std::size_t i = 0; i < d->element_count; ++i) {
    const ElementDescriptor& e = d->elements[i];
    LoadedElement le{e.name ? e.name : "", e.role ? e.role : "",
                     e.description ? e.description : "", false};
    if (!factory_exists(le.name.c_str())) all_present = false;
    out.elements.push_back(std::move(le));
  }
  if (!all_present) {
    // Registers a GstPlugin of this name in the registry and runs its init function.
    std::set<std::string> before;
    for (auto& e : out.elements)
      if (factory_exists(e.name.c_str())) before.insert(e.name);
    if (!before.empty()) {
      return "some elements of this plugin already exist in GStreamer from elsewhere; "
             "refusing a partial double registration";
    }
    gboolean ok = gst_plugin_register_static(
        GST_VERSION_MAJOR, GST_VERSION_MINOR, d->name, out.description.c_str(),
        d->register_elements, out.version.c_str(), "Proprietary", "mediaflow", "mediaflow",
        "https://example.invalid/mediaflow");
    if (!ok) return "the plugin's register function failed";
    for (auto& e : out.elements) {
      e.registered_here = true;
      if (!factory_exists(e.name.c_str())) {
        return "descriptor names element '" + e.name + "' but the plugin did not register it";
      }
    }
  }
  for (std::size_t i = 0; i < d->transport_count; ++i) out.transports.push_back(d->transports[i]);
  libraries().push_back(std::move(lib));
  return {};
}

}  // namespace

std::string PluginLoadError::message() const {
  return "plugin " + file.string() + ": " + reason;
}

PluginLoadReport load_plugins(const std::filesystem::path& dir) {
  PluginLoadReport report;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    report.errors.push_back({dir, "plugin directory does not exist"});
    return report;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (is_shared_library(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::lock_guard lock(g_mutex);
  for (const auto& f : files) {
    LoadedPlugin p;
    std::string reason = load_one(std::filesystem::canonical(f, ec), p);
    if (!reason.empty()) {
      report.errors.push_back({f, std::move(reason)});
    } else if (!p.name.empty()) {
      g_plugins.push_back(p);
      report.loaded.push_back(std::move(p));
    }
  }
  return report;
}

const std::vector<LoadedPlugin>& loaded_plugins() { return g_plugins; }

std::vector<TransportDescriptor> loaded_transports() {
  std::lock_guard lock(g_mutex);
  std::vector<TransportDescriptor> out;
  for (const auto& p : g_plugins) out.insert(out.end(), p.transports.begin(), p.transports.end());
  return out;
}

std::optional<TransportDescriptor> find_transport(std::string_view name) {
  std::lock_guard lock(g_mutex);
  for (const auto& p : g_plugins)
    for (const auto& t : p.transports)
      if (name == t.name) return t;
  return std::nullopt;
}

std::filesystem::path default_plugin_dir() {
  if (const char* env = std::getenv("PLUGIN_DIR"); env && *env) return env;
  std::filesystem::path exe = boost::dll::program_location().parent_path().string();
  if (std::filesystem::is_directory(exe / "plugins")) return exe / "plugins";
  return exe.parent_path() / "lib" / "mediaflow" / "plugins";
}

}  // namespace mediaflow
