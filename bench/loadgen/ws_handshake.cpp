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
  constexpr std::string_view kScheme = "ws://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    if (error) *error = "URL must start with ws:// (wss is not supported)";
    return std::nullopt;
  }
  url.remove_prefix(kScheme.size());
  const size_t slash = std::min(url.find('/'), url.find('?'));
  std::string_view authority = url.substr(0, slash);
  WsUrl out;
  if (slash != std::string_view::npos) {
    out.target = std::string(url.substr(slash));
    if (out.target[0] == '?') out.target.insert(0, "/");
  }
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535) {
      if (error) *error = "bad port in URL";
      return std::nullopt;
    }
    out.port = static_cast<uint16_t>(p);
    authority = authority.substr(0, colon);
  }
  if (authority.size() > 2 && authority.front() == '[' && authority.back() == ']')
    authority = authority.substr(1, authority.size() - 2);
  if (authority.empty()) {
    if (error) *error = "no host in URL";
    return std::nullopt;
  }
  out.host = std::string(authority);
  return out;
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
  std::string r = "GET " + url.target + " HTTP/1.1\r\nHost: ";
  r += url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  r += ":" + std::to_string(url.port);
  r += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ";
  r += key;
  r += "\r\n";
  for (const auto& [name, value] : headers) r += name + ": " + value + "\r\n";
  r += "\r\n";
  return r;
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
    if (iequals(trim(line.substr(0, colon)), "Sec-WebSocket-Accept"))
      out.accept = std::string(trim(line.substr(colon + 1)));
  }
  out.state = UpgradeResponse::State::kDone;
  return out;
}

}  // namespace mediaflow::bench
