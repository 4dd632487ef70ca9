// fake-elevenlabs: the test fake of ElevenLabs Conversational AI as a process, for
// gst-launch-1.0 experiments, the load generator and benchmarks.
//   fake-elevenlabs [--port N] [--key KEY] [--agent ID] [--format ulaw_8000] [--ping-ms N]
//                   [--greeting-ms N] [--private] [--bench-stream]
// Prints the WebSocket base URL (ELEVENLABS_WS_URL) and the REST base (ELEVENLABS_API_URL).
// User audio is counted, not kept (long runs).
// --bench-stream: every conversation gets an `audio` event every 20 ms from its start to its
// end, 160 bytes of ulaw_8000 stamped "MFTS" + the LE uint64 CLOCK_MONOTONIC ns of sending
// (docs/benchmarks.md, "Fake vendors under load"); the greeting is off unless --greeting-ms.
#include "support/fake_elevenlabs.hpp"
#include "support/wait_for_signal.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  mediaflow::test::block_termination_signals();  // before any thread starts
  int port = 0;
  unsigned ping_ms = 2000, greeting_ms = 1000;
  bool private_agent = false, bench_stream = false, greeting_given = false;
  std::string key = "test-key", agent = "agent_test", format = "ulaw_8000";
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--private")) private_agent = true;
    else if (!std::strcmp(argv[i], "--bench-stream")) bench_stream = true;
    else if (has_value && !std::strcmp(argv[i], "--port")) port = std::atoi(argv[++i]);
    else if (has_value && !std::strcmp(argv[i], "--key")) key = argv[++i];
    else if (has_value && !std::strcmp(argv[i], "--agent")) agent = argv[++i];
    else if (has_value && !std::strcmp(argv[i], "--format")) format = argv[++i];
    else if (has_value && !std::strcmp(argv[i], "--ping-ms")) ping_ms = unsigned(std::atoi(argv[++i]));
    else if (has_value && !std::strcmp(argv[i], "--greeting-ms")) {
      greeting_ms = unsigned(std::atoi(argv[++i]));
      greeting_given = true;
    } else {
      std::fprintf(stderr,
                   "usage: fake-elevenlabs [--port N] [--key KEY] [--agent ID] [--format F] [--ping-ms N]\n"
                   "                       [--greeting-ms N] [--private] [--bench-stream]\n");
      return 2;
    }
  }
  if (bench_stream && !greeting_given) greeting_ms = 0;  // every agent frame carries a stamp
  if (bench_stream && format != "ulaw_8000") {
    std::fprintf(stderr, "fake-elevenlabs: --bench-stream sends ulaw_8000 chunks: use --format ulaw_8000\n");
    return 2;
  }
  mediaflow::test::FakeElevenLabs fake(key, agent);
  fake.set_formats(format, format);
  fake.set_ping_interval_ms(ping_ms);
  fake.set_auto_reply(greeting_ms > 0, greeting_ms);
  fake.require_signed_url(private_agent);
  fake.set_bench_stream(bench_stream);
  fake.keep_audio(false);
  if (!fake.start(static_cast<std::uint16_t>(port))) {
    std::fprintf(stderr, "fake-elevenlabs: cannot listen on port %d\n", port);
    return 1;
  }
  std::printf("%s\n%s\n", fake.ws_url().c_str(), fake.api_url().c_str());
  std::fflush(stdout);
  mediaflow::test::wait_for_termination_signal();
  fake.stop();
  return 0;
}
