// Plain HTTP routes (/, /health, /metrics, /twilio/voice) and the check that runs before a
// media WebSocket upgrade (path shape + auth → 401/404 before the upgrade).
#pragma once

#include <libsoup/soup.h>

namespace mediaflow::server {

class Host;

void handle_http_request(Host& host, SoupServerMessage* msg, const char* path, GHashTable* query);
void check_websocket_request(Host& host, SoupServerMessage* msg, const char* path, GHashTable* query);

}  // namespace mediaflow::server
