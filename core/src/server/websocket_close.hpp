// Closing a server WebSocket with any RFC 6455 code. libsoup 3.2 refuses to *send* codes it
// does not know (1013 "Try Again Later" among them: it turns them into a 1002 protocol
// error), so for those the close frame is written to the stream directly.
#pragma once

#include <libsoup/soup.h>

namespace mediaflow::server {

void close_websocket(SoupWebsocketConnection* connection, gushort code, const char* reason);

}  // namespace mediaflow::server
