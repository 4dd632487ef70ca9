#include "support/spawn.hpp"

#include "support/paths.hpp"

#include <glib.h>
#include <sys/wait.h>

#include <fstream>

namespace mediaflow::test {

ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
  std::vector<gchar*> args;
  for (const auto& a : argv) args.push_back(const_cast<gchar*>(a.c_str()));
  args.push_back(nullptr);
  gchar** env = g_get_environ();
  for (const auto& kv : extra_env) {
    const auto eq = kv.find('=');
    env = g_environ_setenv(env, kv.substr(0, eq).c_str(), kv.substr(eq + 1).c_str(), TRUE);
  }
  ProcessResult r;
  gchar *out = nullptr, *err = nullptr;
  gint status = 0;
  GError* error = nullptr;
  const gboolean ok = g_spawn_sync(nullptr, args.data(), env, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, &err,
                                   &status, &error);
  g_strfreev(env);
  if (!ok) {
    r.err = error ? error->message : "spawn failed";
    g_clear_error(&error);
    return r;
  }
  r.out = out ? out : "";
  r.err = err ? err : "";
  g_free(out);
  g_free(err);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string sanitizer_preload() {
  std::string asan, ubsan;  // ASan must come first
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    const std::string name = std::filesystem::path(path).filename().string();
    // gcc's runtimes, or clang's (-shared-libasan; its ASan runtime carries UBSan's too).
    if (name.starts_with("libasan.so") || name.starts_with("libclang_rt.asan-")) asan = path;
    if (name.starts_with("libubsan.so")) ubsan = path;
  }
  if (asan.empty() || ubsan.empty()) return asan + ubsan;
  return asan + ":" + ubsan;
}

std::vector<std::string> gst_tool_env(const std::filesystem::path& registry) {
  std::vector<std::string> env = {"GST_PLUGIN_PATH=" + plugin_dir().string(),
                                  "GST_REGISTRY=" + registry.string(), "GST_REGISTRY_FORK=no"};
  if (const std::string preload = sanitizer_preload(); !preload.empty()) {
    env.push_back("LD_PRELOAD=" + preload);
    env.push_back("ASAN_OPTIONS=detect_leaks=0");  // the gst tools themselves are not leak-clean
  }
  return env;
}

}  // namespace mediaflow::test
