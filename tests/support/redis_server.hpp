// A real redis-server (Debian's) on a free loopback port, started and stopped by the test,
// with a small synchronous client (hiredis) for what the test checks. An outage is stop() then
// start() again on the same port; its data is not kept (no persistence), like a Redis that lost
// its memory — leases come back from the hosts' refreshes.
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>

namespace mediaflow::test {

class RedisServer {
 public:
  RedisServer();  // picks a port; call start()
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  bool start();  // false when redis-server cannot be started or does not answer PING in 5 s
  void stop();   // SIGTERM and wait
  uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  // ZCARD of a key (-1 on error), and any command's integer/string answer for checks.
  long long zcard(const std::string& key) const;

 private:
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace mediaflow::test
