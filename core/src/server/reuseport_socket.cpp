#include "server/reuseport_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mediaflow::server {

GSocket* listen_reuseport(const std::string& bind_address, uint16_t port, std::string* error) {
  const bool v6 = bind_address.find(':') != std::string::npos;
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return nullptr;
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    if (inet_pton(AF_INET6, bind_address.c_str(), &a->sin6_addr) != 1) {
      ::close(fd);
      *error = "BIND: not an IPv6 address: " + bind_address;
      return nullptr;
    }
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    if (inet_pton(AF_INET, bind_address.c_str(), &a->sin_addr) != 1) {
      ::close(fd);
      *error = "BIND: not an IPv4 address: " + bind_address;
      return nullptr;
    }
    len = sizeof *a;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, 1024) != 0) {
    *error = "bind " + bind_address + ":" + std::to_string(port) + ": " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  GError* err = nullptr;
  GSocket* socket = g_socket_new_from_fd(fd, &err);
  if (!socket) {
    *error = err->message;
    g_error_free(err);
    ::close(fd);
    return nullptr;
  }
  return socket;
}

uint16_t local_port(GSocket* socket) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(g_socket_get_fd(socket), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

}  // namespace mediaflow::server
