// `mediaflow serve` as a child process, for tests and the load generator: spawn it with a
// given environment (PORT=0 picks a free port), learn the port from its structured
// `{"event":"listening",…,"port":"NNNN"}` log line on stderr, keep draining its stderr, and
// stop it with SIGTERM (SIGKILL after a timeout). The child dies with the parent.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mediaflow::dial {

struct HostProcessOptions {
  std::filesystem::path binary;               // the mediaflow executable
  std::vector<std::string> args = {"serve"};  // arguments after argv[0]
  // Set on top of the inherited environment (PORT defaults to 0, BIND to 127.0.0.1).
  std::map<std::string, std::string> env;
  double ready_timeout_seconds = 20;
  bool echo_stderr = false;  // also copy the host's log lines to our stderr
};

class HostProcess {
 public:
  HostProcess();
  ~HostProcess();  // stops the host if still running
  HostProcess(const HostProcess&) = delete;
  HostProcess& operator=(const HostProcess&) = delete;

  // Spawns and waits for the listening line. False with *error (and the host's log) when it
  // exits or stays silent past ready_timeout_seconds.
  bool start(const HostProcessOptions& options, std::string* error);

  pid_t pid() const;
  int port() const;
  std::string ws_url(const std::string& path = "/rtm/voice") const;  // ws://127.0.0.1:<port><path>
  std::string http_url(const std::string& path = "/") const;

  // SIGTERM, then wait up to timeout_seconds (SIGKILL after that). Returns the exit code, or
  // 128+signal when killed by one, or -1 if it was not running.
  int stop(double timeout_seconds = 15);
  bool running() const;

  // The host's stderr so far (complete lines; the newest 20000 are kept).
  std::vector<std::string> log_lines() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mediaflow::dial
