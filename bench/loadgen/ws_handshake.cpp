#include "loadgen/ws_handshake.hpp"

#include <mediaflow/net/websocket_upgrade.hpp>
#include <mediaflow/protocol/twilio_envelope.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace mediaflow::bench {
namespace {

constexpr size_t kMaxHeadBytes = 16 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<WsUrl> parse_ws_url(std::string_view url, std::string* error) {
  net::UpgradeTarget t;
  if (!net::parse_upgrade_target(url, &t, error)) return std::nullopt;
  if (t.tls) {
    if (error) *error = "URL must start with ws:// (wss is not supported)";
    return std::nullopt;
  }
  return WsUrl{t.host, t.port, t.resource, t.host_header};
}

std::string make_websocket_key(const std::array<uint8_t, 16>& random) {
  std::string key;
  protocol::twilio::append_base64(key, random);
  return key;
}

// One implementation of the RFC's accept computation: the vendor client's (mediaflow_net).
std::string websocket_accept_for(std::string_view key) { return net::websocket_accept(key); }

std::string build_upgrade_request(const WsUrl& url, std::string_view key,
                                  const std::vector<std::pair<std::string, std::string>>& headers) {
  return net::build_upgrade_request(net::UpgradeTarget{false, url.host, url.port, url.host_header, url.target}, key,
                                    headers);
}

UpgradeResponse parse_upgrade_response(std::string_view received) {
  UpgradeResponse out;
  const size_t end = received.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (received.size() > kMaxHeadBytes) out.state = UpgradeResponse::State::kMalformed;
    return out;
  }
  std::string_view head = received.substr(0, end + 2);
  out.head_bytes = end + 4;
  const size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  // "HTTP/1.1 101 Switching Protocols"
  if (status_line.substr(0, 7) != "HTTP/1." || status_line.size() < 12 || status_line[8] != ' ') {
    out.state = UpgradeResponse::State::kMalformed;
    return out;
  }
  std::string_view code = status_line.substr(9, 3);
  auto [p, ec] = std::from_chars(code.data(), code.data() + 3, out.status);
  if (ec != std::errc() || p != code.data() + 3) {
    out.state = UpgradeResponse::State::kMalformed;
    return out;
  }
  for (size_t pos = eol + 2; pos < head.size();) {
    const size_t next = head.find("\r\n", pos);
    std::string_view line = head.substr(pos, next - pos);
    pos = next + 2;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = trim(line.substr(0, colon));
    if (iequals(name, "Sec-WebSocket-Accept")) out.accept = std::string(trim(line.substr(colon + 1)));
    if (iequals(name, "Sec-WebSocket-Protocol")) out.subprotocol = std::string(trim(line.substr(colon + 1)));
  }
  out.state = UpgradeResponse::State::kDone;
  return out;
}

}  // namespace mediaflow::bench
