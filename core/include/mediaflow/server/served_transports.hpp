// The media planes this host serves: every transport the loaded plugins bring
// (plugin_api.h, TransportDescriptor), each at its WebSocket path.
#pragma once

#include <mediaflow/plugin_api.h>

#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::server {

struct ServerConfig;

struct ServedTransport {
  TransportDescriptor descriptor;
  std::string path;  // from its path variable, else its default ("/" + no trailing slash)
  std::string basic_credentials;  // from its basic_auth_env ("" = none)
};

// Paths from the environment (WS_PATH is the ServerConfig's, read and checked there). Empty
// with `error` set when a path is malformed, two transports share one, none is loaded, or a
// transport's check_settings refuses the host's settings (ServerConfig::transport_settings,
// else the environment).
std::vector<ServedTransport> serve_transports(const std::vector<TransportDescriptor>& loaded,
                                              const ServerConfig& config, std::string* error);

// The transport whose path `path` is or lies below; null when none.
const ServedTransport* transport_for_path(const std::vector<ServedTransport>& served, std::string_view path);

}  // namespace mediaflow::server
