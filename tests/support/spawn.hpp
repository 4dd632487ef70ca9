// Running a program from a test: this build's binaries (mediaflow, loadgen, tools) and the
// system's gst-launch-1.0/gst-inspect-1.0 with our plugins.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mediaflow::test {

struct ProcessResult {
  int exit_code = -1;  // -1: could not start, or killed by a signal
  std::string out;
  std::string err;
};

// Runs argv (argv[0] looked up on PATH when it has no '/') to completion with extra
// environment entries ("NAME=value") on top of ours. A spawn failure is in `err`.
ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {});

// The sanitizer runtimes this test process runs with, for LD_PRELOAD ("" in a plain build):
// an uninstrumented system tool that loads our ASan-built plugin needs them loaded first.
std::string sanitizer_preload();

// Environment for a spawned gst tool: our plugins on GST_PLUGIN_PATH, a registry of its own
// at `registry`, and the sanitizer runtimes when this is a sanitizer build.
std::vector<std::string> gst_tool_env(const std::filesystem::path& registry);

}  // namespace mediaflow::test
