// fake-assemblyai: the test fake of AssemblyAI Universal-Streaming v3 as a process, for
// gst-launch-1.0 experiments with assemblyaiasr.
//   fake-assemblyai [--port N] [--key KEY]
// Prints the WebSocket base URL (ASSEMBLYAI_WS_URL) and serves until SIGTERM/SIGINT.
#include "support/fake_assemblyai.hpp"
#include "support/wait_for_signal.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  mediaflow::test::block_termination_signals();  // before any thread starts
  int port = 0;
  std::string key = "test-key";
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (has_value && !std::strcmp(argv[i], "--port")) port = std::atoi(argv[++i]);
    else if (has_value && !std::strcmp(argv[i], "--key")) key = argv[++i];
    else {
      std::fprintf(stderr, "usage: fake-assemblyai [--port N] [--key KEY]\n");
      return 2;
    }
  }
  mediaflow::test::FakeAssemblyAi fake(key);
  if (!fake.start(static_cast<std::uint16_t>(port))) {
    std::fprintf(stderr, "fake-assemblyai: cannot listen on port %d\n", port);
    return 1;
  }
  std::printf("%s\n", fake.url().c_str());
  std::fflush(stdout);
  mediaflow::test::wait_for_termination_signal();
  fake.stop();
  return 0;
}
