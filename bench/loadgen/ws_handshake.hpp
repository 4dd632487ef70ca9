// The load generator's side of the WebSocket opening handshake (RFC 6455 §4.1), on its own
// epoll engine (no HTTP library on the loop): URL, request and accept key come from
// mediaflow_net (the vendor client's); what is its own is the incremental reading of the
// answer, which may arrive in pieces and be followed by frames in the same read.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mediaflow::bench {

struct WsUrl {
  std::string host;          // as written (name or address, no brackets)
  uint16_t port = 80;
  std::string target = "/";  // path and query
  std::string host_header;   // Host: value
};

// ws://host[:port][/path][?query] (parsed by mediaflow_net); nullopt with *error for anything
// else (wss is not supported).
std::optional<WsUrl> parse_ws_url(std::string_view url, std::string* error);

// Sec-WebSocket-Key: base64 of 16 random bytes.
std::string make_websocket_key(const std::array<uint8_t, 16>& random);
// Sec-WebSocket-Accept the server must answer for `key`: base64(SHA-1(key + RFC GUID)).
std::string websocket_accept_for(std::string_view key);

std::string build_upgrade_request(const WsUrl& url, std::string_view key,
                                  const std::vector<std::pair<std::string, std::string>>& headers);

struct UpgradeResponse {
  enum class State { kIncomplete, kDone, kMalformed } state = State::kIncomplete;
  unsigned status = 0;          // kDone: the HTTP status
  std::string accept;           // kDone: Sec-WebSocket-Accept, "" when absent
  std::string subprotocol;      // kDone: Sec-WebSocket-Protocol, "" when absent
  size_t head_bytes = 0;        // kDone: bytes of the head (status line … empty line)
};

// Parses the response head at the start of `received` (more bytes may follow: they are
// WebSocket frames). kIncomplete until the empty line arrives; kMalformed for a head that is
// not HTTP/1.x or longer than 16 KiB.
UpgradeResponse parse_upgrade_response(std::string_view received);

}  // namespace mediaflow::bench
