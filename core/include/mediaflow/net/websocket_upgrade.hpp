// The client side of the WebSocket opening handshake (RFC 6455 §4.1): where to connect for a
// ws:// or wss:// URL, the HTTP/1.1 upgrade request, and the checks on the server's answer.
// Plain functions so that they are tested directly; WebSocketClient does the I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mediaflow::net {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct UpgradeTarget {
  bool tls = false;        // wss://
  std::string host;        // as connected to and validated against (no brackets)
  std::uint16_t port = 0;  // the URL's, or 80 / 443
  std::string host_header; // Host: value (port only when not the default)
  std::string resource;    // path and query, as in the URL ("/" when empty)
};

// False (and *why, without the URL: its query may carry a token) unless `url` is a ws:// or
// wss:// URL with a host.
bool parse_upgrade_target(std::string_view url, UpgradeTarget* target, std::string* why);
// False (and *why, naming the header but never its value) when a name or value could break
// the request (empty name, CR/LF, separators in the name).
bool check_request_headers(const HttpHeaders& headers, std::string* why);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + RFC 6455 GUID)).
std::string websocket_accept(std::string_view key);

// The GET upgrade request with a fresh random key; *expected_accept is what the server must
// answer in Sec-WebSocket-Accept. No extension is offered; a subprotocol is offered by passing
// Sec-WebSocket-Protocol among `headers`.
std::string build_upgrade_request(const UpgradeTarget& target, const HttpHeaders& headers,
                                  std::string* expected_accept);
// The same request with a given Sec-WebSocket-Key (a load generator draws its own keys).
std::string build_upgrade_request(const UpgradeTarget& target, std::string_view key, const HttpHeaders& headers);

struct UpgradeAnswer {
  bool ok = false;        // 101 with the right Upgrade, Connection and Sec-WebSocket-Accept
  unsigned status = 0;    // 0 when the status line could not be read
  std::string problem;    // why not ok
  HttpHeaders headers;    // every header of the answer
  std::string subprotocol;  // the one the server selected ("" when none)
};
// `head`: the answer up to and including the blank line that ends its headers.
// `offered_subprotocol`: what the request offered ("" none). The server may select it or none
// (RFC 6455 §4.1: the client then decides); selecting anything else fails the answer.
UpgradeAnswer parse_upgrade_answer(std::string_view head, std::string_view expected_accept,
                                   std::string_view offered_subprotocol = {});

}  // namespace mediaflow::net
