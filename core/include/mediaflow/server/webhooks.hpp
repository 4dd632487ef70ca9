// The host's side of a transport's application webhook (plugin_api.h, TransportDescriptor::
// answer_webhook; transport/webhook.hpp): what the host puts in the WebhookContext.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mediaflow::server {

struct ServerConfig;

// Stream tokens as this host accepts them: with `shared_secret` (MEDIA_SHARED_SECRET) a fresh
// HS256 JWT issued at now_unix, valid for the ttl asked (clamped to 1…300 s); else
// `static_token` (MEDIA_AUTH_TOKEN); else "". nullopt when the JWT could not be issued.
std::function<std::optional<std::string>(std::int64_t ttl_seconds)> stream_token_minter(std::string shared_secret,
                                                                                        std::string static_token,
                                                                                        std::int64_t now_unix);

// A setting a transport's webhook reads by name: ServerConfig::transport_settings when it has
// the name, else the environment; nullopt when unset or empty.
std::optional<std::string> host_setting(const ServerConfig& config, std::string_view name);

}  // namespace mediaflow::server
