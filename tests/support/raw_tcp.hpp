// A plain blocking TCP client on loopback for front-end abuse tests: idle and slow
// connections, hand-written requests, and reading an answer up to the server's close.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::test {

class TcpClient {
 public:
  // Connects to 127.0.0.1:port; connected() says whether it worked.
  explicit TcpClient(std::uint16_t port);
  ~TcpClient();
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send(std::string_view bytes);

  struct Received {
    std::string bytes;
    bool ended = false;  // the server closed (FIN or reset) before the timeout
    bool reset = false;  // ... with a reset
  };
  // Reads until the server ends the connection or `timeout_ms` passes.
  Received read_until_close(int timeout_ms);
  // Whether the server ended the connection within `timeout_ms` (bytes it sent are dropped).
  bool closed_by_server_within(int timeout_ms) { return read_until_close(timeout_ms).ended; }
  void close();

 private:
  int fd_ = -1;
};

// The status code of an HTTP answer's status line, or 0.
int http_status(std::string_view answer);
// Whether the answer's head has `header: value` (name ignoring case, value exact).
bool http_has_header(std::string_view answer, std::string_view name, std::string_view value);
// The open file descriptor numbers of a process (0: this one).
std::vector<int> open_fds(pid_t pid = 0);

}  // namespace mediaflow::test
