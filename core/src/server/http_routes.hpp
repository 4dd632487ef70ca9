// Plain HTTP routes (/, /health, /metrics, and every served transport's application webhook:
// POST TransportDescriptor::webhook_path, answered by its answer_webhook) and the check that
// runs before a media WebSocket upgrade (path shape + auth → 401/404 before the upgrade).
// Request in, response out: the front end (http_connection.cpp) does the I/O.
#pragma once

#include <mediaflow/protocol/http_request.hpp>
#include <mediaflow/protocol/http_response.hpp>

#include <optional>
#include <string_view>

namespace mediaflow::server {

class Host;

// Whether `path` belongs to the media WebSocket: WS_PATH itself or below it.
bool is_websocket_route(std::string_view ws_path, std::string_view path);

protocol::http::Response handle_http_request(Host& host, const protocol::http::Request& request);
// Nothing when the upgrade may go ahead; else the refusal (404 for a path that is not a
// media path, 401 when auth refuses).
std::optional<protocol::http::Response> check_websocket_request(Host& host, const struct ServedTransport& transport,
                                                                const protocol::http::Request& request);

}  // namespace mediaflow::server
