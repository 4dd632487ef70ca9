#include <mediaflow/server/served_transports.hpp>

#include "server/http_routes.hpp"

#include <mediaflow/env.hpp>
#include <mediaflow/server/config.hpp>
#include <mediaflow/server/webhooks.hpp>

#include <cstring>

namespace mediaflow::server {
namespace {

// Every webhook path is the host's own plain path: absolute, not one of the host's routes, not
// another transport's webhook, and not on a media path (those are answered as WebSockets).
bool check_webhooks(const std::vector<ServedTransport>& served, std::string* error) {
  for (const auto& t : served) {
    const char* hook = t.descriptor.webhook_path;
    if (hook == nullptr) continue;
    const std::string_view path(hook);
    const std::string what = std::string("transport '") + t.descriptor.name + "': webhook path '" + hook + "'";
    if (t.descriptor.answer_webhook == nullptr) {
      *error = what + " has no handler";
      return false;
    }
    if (path.size() < 2 || path[0] != '/' || path == "/health" || path == "/metrics") {
      *error = what + " is not a path of its own";
      return false;
    }
    for (const auto& other : served) {
      if (is_websocket_route(other.path, path)) {
        *error = what + " lies on the media path of '" + other.descriptor.name + "' (set " + other.descriptor.path_env + ")";
        return false;
      }
      if (&other != &t && other.descriptor.webhook_path != nullptr && path == other.descriptor.webhook_path) {
        *error = what + " is also the webhook of '" + other.descriptor.name + "'";
        return false;
      }
    }
  }
  return true;
}

}  // namespace

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
    if (t.check_settings) {
      const std::string why = t.check_settings([&config](std::string_view name) { return host_setting(config, name); });
      if (!why.empty()) {
        *error = std::string("transport '") + t.name + "': " + why;
        return {};
      }
    }
    out.push_back({t, path, basic});
  }
  if (out.empty()) *error = "no transport plugin loaded (PLUGIN_DIR): nothing would answer a call";
  if (!check_webhooks(out, error)) return {};
  return out;
}

const ServedTransport* transport_for_path(const std::vector<ServedTransport>& served, std::string_view path) {
  for (const auto& t : served)
    if (is_websocket_route(t.path, path)) return &t;
  return nullptr;
}

}  // namespace mediaflow::server
