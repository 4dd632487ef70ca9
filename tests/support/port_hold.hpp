// Keeps a loopback port refusing connections while its server is down: a socket bound to it
// without listen() answers every connect with RST, and no other process (a parallel test's
// server on port 0) can take the port meanwhile. A test that kills a store and later restarts
// it on the same port would otherwise, now and then, talk to a stranger answering 404.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace mediaflow::test {

class PortHold {
 public:
  PortHold() = default;
  PortHold(const PortHold&) = delete;
  PortHold& operator=(const PortHold&) = delete;
  ~PortHold() { release(); }

  // False if the port is taken already (a process that did not die yet, TIME_WAIT aside).
  bool hold(uint16_t port) {
    release();
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // past the old server's TIME_WAITs
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      release();
      return false;
    }
    return true;
  }
  void release() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

}  // namespace mediaflow::test
