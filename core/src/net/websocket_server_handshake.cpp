#include <mediaflow/net/websocket_server_handshake.hpp>

#include <mediaflow/net/websocket_upgrade.hpp>
#include <mediaflow/protocol/twilio_envelope.hpp>

#include <array>
#include <cstdint>

namespace mediaflow::net {
namespace {

namespace http = protocol::http;

ServerHandshake refuse(unsigned status, const char* problem) {
  ServerHandshake h;
  h.problem = problem;
  h.response = http::json_error(status, problem);
  if (status == 426) h.response.headers.push_back({"Sec-WebSocket-Version", "13"});
  return h;
}

// §4.2.1 item 5: base64 of a 16-byte value.
bool valid_key(std::string_view key) {
  std::array<std::uint8_t, protocol::twilio::base64_decoded_max(24)> decoded{};
  const auto n = protocol::twilio::decode_base64(key, decoded);
  return n && *n == 16;
}

}  // namespace

ServerHandshake accept_upgrade_request(const http::Request& request, std::string_view selected_subprotocol) {
  if (request.method != "GET") return refuse(400, "a WebSocket upgrade must be a GET");
  if (request.minor_version < 1) return refuse(400, "a WebSocket upgrade needs HTTP/1.1");
  if (!request.header("Host")) return refuse(400, "missing Host");
  if (!request.header_has_token("Upgrade", "websocket")) return refuse(400, "not a WebSocket upgrade (Upgrade)");
  if (!request.header_has_token("Connection", "Upgrade")) return refuse(400, "not a WebSocket upgrade (Connection)");
  // §4.2.2: a version we do not speak (or none) gets the versions we do.
  const auto version = request.header("Sec-WebSocket-Version");
  if (request.header_count("Sec-WebSocket-Version") != 1 || *version != "13")
    return refuse(426, "unsupported WebSocket version");
  const auto key = request.header("Sec-WebSocket-Key");
  if (request.header_count("Sec-WebSocket-Key") != 1 || !valid_key(*key))
    return refuse(400, "missing or malformed Sec-WebSocket-Key");

  ServerHandshake h;
  h.ok = true;
  h.response.status = 101;
  h.response.headers = {{"Upgrade", "websocket"}, {"Connection", "Upgrade"},
                        {"Sec-WebSocket-Accept", websocket_accept(*key)}};
  if (!selected_subprotocol.empty())
    h.response.headers.push_back({"Sec-WebSocket-Protocol", std::string(selected_subprotocol)});
  return h;
}

}  // namespace mediaflow::net
