// A listening TCP socket with SO_REUSEPORT, so that one SoupServer per worker loop can listen
// on the same port and the kernel spreads connections. g_socket_bind() clears the option
// (platform-notes.md), hence plain POSIX calls, then g_socket_new_from_fd.
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <string>

namespace mediaflow::server {

// Binds bind_address:port (port 0 = any free port). Returns nullptr and sets *error on failure.
GSocket* listen_reuseport(const std::string& bind_address, uint16_t port, std::string* error);

// The port a bound socket listens on.
uint16_t local_port(GSocket* socket);

}  // namespace mediaflow::server
