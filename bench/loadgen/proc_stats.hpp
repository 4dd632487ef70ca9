// A process's CPU time, RSS and thread count from /proc/<pid>.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace mediaflow::bench {

struct ProcSample {
  double cpu_ms = 0;      // user + system since the process started
  uint64_t rss_kb = 0;    // VmRSS
  unsigned threads = 0;   // Threads
};

std::optional<ProcSample> sample_process(pid_t pid);

}  // namespace mediaflow::bench
