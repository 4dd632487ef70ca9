#include "support/host_process.hpp"

#include "support/paths.hpp"

#include <gtest/gtest.h>

#include <glib.h>

namespace mediaflow::test {

TestHost::~TestHost() {
  stop();
  std::error_code ec;
  if (!recordings_dir.empty()) std::filesystem::remove_all(recordings_dir, ec);
}

std::unique_ptr<TestHost> start_host(const std::map<std::string, std::string>& env) {
  auto host = std::make_unique<TestHost>();
  gchar* dir = g_dir_make_tmp("mediaflow-host-XXXXXX", nullptr);
  host->recordings_dir = dir;
  g_free(dir);
  dial::HostProcessOptions o;
  o.binary = mediaflow_binary();
  o.env = {{"PIPELINES_DIR", (source_dir() / "pipelines").string()},
           {"PLUGIN_DIR", plugin_dir().string()},
           {"RECORDINGS_DIR", host->recordings_dir.string()},
           {"LOG_LEVEL", "info"}};
  for (const auto& [k, v] : env) o.env[k] = v;
  std::string error;
  if (!host->start(o, &error)) {
    ADD_FAILURE() << "cannot start mediaflow serve: " << error;
    return nullptr;
  }
  return host;
}

}  // namespace mediaflow::test
