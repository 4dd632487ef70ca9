#include <mediaflow/server/served_transports.hpp>

#include "server/http_routes.hpp"

#include <mediaflow/env.hpp>
#include <mediaflow/server/config.hpp>

#include <cstring>

namespace mediaflow::server {

std::vector<ServedTransport> serve_transports(const std::vector<TransportDescriptor>& loaded,
                                              const ServerConfig& config, std::string* error) {
  std::vector<ServedTransport> out;
  for (const auto& t : loaded) {
    std::string path = t.default_path;
    if (std::strcmp(t.path_env, "WS_PATH") == 0) path = config.ws_path;
    else env::string(t.path_env, path);
    if (path.empty() || path[0] != '/') {
      *error = std::string(t.path_env) + ": must start with '/'";
      return {};
    }
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    for (const auto& other : out) {
      if (is_websocket_route(other.path, path) || is_websocket_route(path, other.path)) {
        *error = std::string("transports '") + other.descriptor.name + "' and '" + t.name + "' share the path " + path +
                 " (set " + t.path_env + ")";
        return {};
      }
    }
    std::string basic;
    if (t.basic_auth_env) env::string(t.basic_auth_env, basic);
    if (!basic.empty() && basic.find(':') == std::string::npos) {
      *error = std::string(t.basic_auth_env) + ": must be user:password";
      return {};
    }
    out.push_back({t, path, basic});
  }
  if (out.empty()) *error = "no transport plugin loaded (PLUGIN_DIR): nothing would answer a call";
  return out;
}

const ServedTransport* transport_for_path(const std::vector<ServedTransport>& served, std::string_view path) {
  for (const auto& t : served)
    if (is_websocket_route(t.path, path)) return &t;
  return nullptr;
}

}  // namespace mediaflow::server
