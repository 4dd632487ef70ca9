// fake-deepgram: the test fake of Deepgram live transcription as a process, for gst-launch-1.0
// experiments and the load generator.  fake-deepgram [--port N] [--key KEY]
#include "support/fake_deepgram.hpp"
#include "support/wait_for_signal.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  int port = 0;
  std::string key = "test-key";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--port")) port = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--key")) key = argv[i + 1];
  }
  mediaflow::test::FakeDeepgram fake(key);
  if (!fake.start(static_cast<std::uint16_t>(port))) {
    std::fprintf(stderr, "fake-deepgram: cannot listen on port %d\n", port);
    return 1;
  }
  std::printf("%s\n", fake.url().c_str());
  std::fflush(stdout);
  mediaflow::test::wait_for_termination_signal();
  fake.stop();
  return 0;
}
