// Spawns this build's `mediaflow serve` for a test: PORT=0 on 127.0.0.1,
// PIPELINES_DIR=<source>/pipelines, PLUGIN_DIR=<build>/plugins, RECORDINGS_DIR in a fresh temp
// dir, plus the test's own overrides; waits for the listening line. Stopped (SIGTERM) when the
// returned object goes away. Fails the test (ADD_FAILURE) and returns nullptr when it cannot start.
//
//   auto host = test::start_host({{"MAX_CONCURRENT_CALLS", "2"}});
//   ASSERT_TRUE(host);
//   dial::CallerOptions o;  o.url = host->ws_url();
#pragma once

#include <mediaflow/dial/host_process.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace mediaflow::test {

struct TestHost : dial::HostProcess {
  std::filesystem::path recordings_dir;
  ~TestHost();  // stops the host, removes recordings_dir
};

std::unique_ptr<TestHost> start_host(const std::map<std::string, std::string>& env = {});

}  // namespace mediaflow::test
