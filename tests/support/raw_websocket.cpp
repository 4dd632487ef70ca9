#include "support/raw_websocket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

namespace mediaflow::test {

uint16_t WsFrame::close_code() const {
  if (payload.size() < 2) return 0;
  return static_cast<uint16_t>((uint8_t(payload[0]) << 8) | uint8_t(payload[1]));
}

RawWebSocket::~RawWebSocket() { close_socket(); }

void RawWebSocket::close_socket() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int RawWebSocket::read_until_end(int timeout_ms) {
  pending_.clear();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return -1;
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, int(left)) <= 0) return -1;
    const ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
    if (r == 0) return 0;
    if (r < 0) return errno;
  }
}

void RawWebSocket::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

bool RawWebSocket::write_all(const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n) {
    ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= size_t(w);
  }
  return true;
}

bool RawWebSocket::read_exact(void* buf, size_t n, int timeout_ms) {
  char* out = static_cast<char*>(buf);
  const size_t from_pending = std::min(n, pending_.size());
  std::memcpy(out, pending_.data(), from_pending);
  pending_.erase(0, from_pending);
  size_t got = from_pending;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (got < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, int(left)) <= 0) return false;
    ssize_t r = ::recv(fd_, out + got, n - got, 0);
    if (r <= 0) return false;
    got += size_t(r);
  }
  return true;
}

int RawWebSocket::connect(uint16_t port, const std::string& path_and_query,
                          const std::map<std::string, std::string>& headers) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (receive_buffer_bytes_ > 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes_, sizeof receive_buffer_bytes_);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  std::string req = "GET " + path_and_query + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "\r\n";
  if (!write_all(req.data(), req.size())) return -1;
  std::string resp;
  char c;
  while (resp.find("\r\n\r\n") == std::string::npos) {
    if (!read_exact(&c, 1, 5000)) return -1;
    resp.push_back(c);
  }
  // "HTTP/1.1 101 Switching Protocols"
  const auto sp = resp.find(' ');
  const int status = sp == std::string::npos ? -1 : std::atoi(resp.c_str() + sp + 1);
  if (status != 101) {
    // Drain a small body so the server is not left writing into a closed socket.
    close_socket();
  }
  return status;
}

bool RawWebSocket::send_frame(uint8_t opcode, const std::string& payload, bool fin) {
  std::string f;
  f.push_back(char((fin ? 0x80 : 0) | (opcode & 0x0f)));
  const uint64_t n = payload.size();
  if (n < 126) {
    f.push_back(char(0x80 | n));
  } else if (n < 65536) {
    f.push_back(char(0x80 | 126));
    f.push_back(char(n >> 8));
    f.push_back(char(n & 0xff));
  } else {
    f.push_back(char(0x80 | 127));
    for (int i = 7; i >= 0; --i) f.push_back(char((n >> (8 * i)) & 0xff));
  }
  static thread_local std::mt19937 rng{12345};
  uint8_t mask[4];
  for (auto& m : mask) m = uint8_t(rng());
  f.append(reinterpret_cast<char*>(mask), 4);
  const size_t start = f.size();
  f += payload;
  for (size_t i = 0; i < n; ++i) f[start + i] = char(uint8_t(f[start + i]) ^ mask[i & 3]);
  return write_all(f.data(), f.size());
}

std::optional<WsFrame> RawWebSocket::read_frame(int timeout_ms) {
  for (;;) {
    uint8_t h[2];
    if (fd_ < 0 || !read_exact(h, 2, timeout_ms)) return std::nullopt;
    WsFrame fr;
    fr.fin = h[0] & 0x80;
    fr.opcode = h[0] & 0x0f;
    uint64_t n = h[1] & 0x7f;
    if (n == 126) {
      uint8_t e[2];
      if (!read_exact(e, 2, timeout_ms)) return std::nullopt;
      n = (uint64_t(e[0]) << 8) | e[1];
    } else if (n == 127) {
      uint8_t e[8];
      if (!read_exact(e, 8, timeout_ms)) return std::nullopt;
      n = 0;
      for (uint8_t b : e) n = (n << 8) | b;
    }
    fr.payload.resize(n);
    if (n && !read_exact(fr.payload.data(), n, timeout_ms)) return std::nullopt;
    if (fr.opcode == 9) {  // answer pings like a browser would
      ++pings_answered_;
      send_frame(10, fr.payload);
      continue;
    }
    return fr;
  }
}

uint16_t RawWebSocket::wait_close(int timeout_ms, std::vector<WsFrame>* others) {
  auto f = wait_close_frame(timeout_ms, others);
  return f ? f->close_code() : 0;
}

std::optional<WsFrame> RawWebSocket::wait_close_frame(int timeout_ms, std::vector<WsFrame>* others) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto fr = read_frame(int(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 deadline - std::chrono::steady_clock::now()).count()) + 1);
    if (!fr) return std::nullopt;
    if (fr->opcode == 8) {
      send_frame(8, fr->payload.substr(0, 2));
      return fr;
    }
    if (others) others->push_back(*fr);
  }
  return std::nullopt;
}

}  // namespace mediaflow::test
