// fake-deepgram: the test fake of Deepgram live transcription as a process, for gst-launch-1.0
// experiments and the load generator.
//   fake-deepgram [--port N] [--key KEY] [--latency-report FILE]
// Prints the WebSocket base URL (DEEPGRAM_WS_URL). Audio is counted, not kept (long runs).
// --latency-report FILE: on SIGTERM/SIGINT, appends one JSON line with the ingest → vendor
// latency of every audio message on connections tagged bench_t0_ns=… (docs/benchmarks.md,
// "Fake vendors under load"):
//   {"vendor":"deepgram","connections":N,"chunks":N,"p50_ms":x,"p99_ms":x,"max_ms":x}
#include "support/bench_latency.hpp"
#include "support/fake_deepgram.hpp"
#include "support/wait_for_signal.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  mediaflow::test::block_termination_signals();  // before any thread starts
  int port = 0;
  std::string key = "test-key", report_path;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (has_value && !std::strcmp(argv[i], "--port")) port = std::atoi(argv[++i]);
    else if (has_value && !std::strcmp(argv[i], "--key")) key = argv[++i];
    else if (has_value && !std::strcmp(argv[i], "--latency-report")) report_path = argv[++i];
    else {
      std::fprintf(stderr, "usage: fake-deepgram [--port N] [--key KEY] [--latency-report FILE]\n");
      return 2;
    }
  }
  // Open the report file now: a path that cannot be written is an error at start, not at the end.
  std::FILE* report = nullptr;
  if (!report_path.empty() && !(report = std::fopen(report_path.c_str(), "a"))) {
    std::fprintf(stderr, "fake-deepgram: cannot write %s: %s\n", report_path.c_str(), std::strerror(errno));
    return 1;
  }
  mediaflow::test::FakeDeepgram fake(key);
  fake.keep_audio(false);
  if (!fake.start(static_cast<std::uint16_t>(port))) {
    std::fprintf(stderr, "fake-deepgram: cannot listen on port %d\n", port);
    if (report) std::fclose(report);
    return 1;
  }
  std::printf("%s\n", fake.url().c_str());
  std::fflush(stdout);
  mediaflow::test::wait_for_termination_signal();
  fake.stop();
  if (report) {
    const auto latency = fake.ingest_latency();
    const std::string line =
        mediaflow::test::bench::latency_report_json("deepgram", latency.connections, latency.histogram);
    std::fprintf(report, "%s\n", line.c_str());
    std::fclose(report);
  }
  return 0;
}
