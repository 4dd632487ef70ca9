#include "server/websocket_close.hpp"

#include <cstring>
#include <string>

namespace mediaflow::server {
namespace {

// The codes libsoup 3.2's close_connection() accepts from a server.
bool libsoup_sends(gushort code) {
  switch (code) {
    case SOUP_WEBSOCKET_CLOSE_NORMAL:
    case SOUP_WEBSOCKET_CLOSE_GOING_AWAY:
    case SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR:
    case SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA:
    case SOUP_WEBSOCKET_CLOSE_BAD_DATA:
    case SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION:
    case SOUP_WEBSOCKET_CLOSE_TOO_BIG:
    case SOUP_WEBSOCKET_CLOSE_SERVER_ERROR:
      return true;
    default:
      return code >= 3000;
  }
}

}  // namespace

void close_websocket(SoupWebsocketConnection* connection, gushort code, const char* reason) {
  if (soup_websocket_connection_get_state(connection) != SOUP_WEBSOCKET_STATE_OPEN) return;
  if (libsoup_sends(code)) {
    soup_websocket_connection_close(connection, code, reason);
    return;
  }
  // Unmasked server close frame: FIN|opcode 8, length, code (big endian), reason (≤ 123 bytes).
  std::string frame;
  const std::size_t reason_len = reason ? std::min<std::size_t>(std::strlen(reason), 123) : 0;
  frame.push_back(char(0x88));
  frame.push_back(char(2 + reason_len));
  frame.push_back(char(code >> 8));
  frame.push_back(char(code & 0xff));
  frame.append(reason ? reason : "", reason_len);
  GOutputStream* out = g_io_stream_get_output_stream(soup_websocket_connection_get_io_stream(connection));
  gsize written = 0;
  // Only used right after the upgrade, when libsoup has nothing queued: the socket takes a
  // few bytes at once. On failure the normal close below still ends the call.
  g_output_stream_write_all(out, frame.data(), frame.size(), &written, nullptr, nullptr);
  // libsoup now completes the handshake; the client already has our code (frames after a
  // close frame are ignored by the peer).
  soup_websocket_connection_close(connection, SOUP_WEBSOCKET_CLOSE_NORMAL, reason);
}

}  // namespace mediaflow::server
