#include <mediaflow/net/websocket_upgrade.hpp>

#include <gio/gio.h>
#include <libsoup/soup.h>

#include <cstring>
#include <memory>

namespace mediaflow::net {
namespace {

constexpr const char* kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// RFC 7230 token characters.
bool is_token_char(char c) {
  if (g_ascii_isalnum(c)) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

bool parse_upgrade_target(std::string_view url, UpgradeTarget* target, std::string* why) {
  GError* error = nullptr;
  const std::string copy(url);
  // ENCODED: path and query stay exactly as given (percent-escapes and all).
  GUri* uri = g_uri_parse(copy.c_str(), GUriFlags(G_URI_FLAGS_ENCODED | G_URI_FLAGS_NON_DNS), &error);
  if (!uri) {
    g_clear_error(&error);
    if (why) *why = "not a valid URL";
    return false;
  }
  std::unique_ptr<GUri, decltype(&g_uri_unref)> owned(uri, &g_uri_unref);
  const char* scheme = g_uri_get_scheme(uri);
  const char* host = g_uri_get_host(uri);
  UpgradeTarget t;
  if (scheme && g_ascii_strcasecmp(scheme, "wss") == 0) {
    t.tls = true;
  } else if (!scheme || g_ascii_strcasecmp(scheme, "ws") != 0) {
    if (why) *why = "not a ws:// or wss:// URL";
    return false;
  }
  if (!host || !*host) {
    if (why) *why = "the URL has no host";
    return false;
  }
  if (g_uri_get_userinfo(uri)) {
    if (why) *why = "credentials in the URL are not supported";
    return false;
  }
  const int default_port = t.tls ? 443 : 80;
  const int port = g_uri_get_port(uri);
  t.host = host;
  t.port = static_cast<std::uint16_t>(port > 0 ? port : default_port);
  const bool ipv6 = t.host.find(':') != std::string::npos;
  t.host_header = ipv6 ? "[" + t.host + "]" : t.host;
  if (t.port != default_port) t.host_header += ":" + std::to_string(t.port);
  const char* path = g_uri_get_path(uri);
  t.resource = path && *path ? path : "/";
  if (const char* query = g_uri_get_query(uri)) {
    t.resource += '?';
    t.resource += query;
  }
  *target = std::move(t);
  return true;
}

bool check_request_headers(const HttpHeaders& headers, std::string* why) {
  for (const auto& [name, value] : headers) {
    bool name_ok = !name.empty();
    for (char c : name) name_ok = name_ok && is_token_char(c);
    if (!name_ok) {
      if (why) *why = "invalid request header name";
      return false;
    }
    if (value.find_first_of("\r\n", 0) != std::string::npos || value.find('\0') != std::string::npos) {
      if (why) *why = "invalid value for request header " + name;
      return false;
    }
  }
  return true;
}

std::string websocket_accept(std::string_view key) {
  GChecksum* sha1 = g_checksum_new(G_CHECKSUM_SHA1);
  g_checksum_update(sha1, reinterpret_cast<const guchar*>(key.data()), static_cast<gssize>(key.size()));
  g_checksum_update(sha1, reinterpret_cast<const guchar*>(kWebSocketGuid), -1);
  guint8 digest[20];
  gsize length = sizeof digest;
  g_checksum_get_digest(sha1, digest, &length);
  g_checksum_free(sha1);
  gchar* encoded = g_base64_encode(digest, length);
  std::string accept(encoded);
  g_free(encoded);
  return accept;
}

std::string build_upgrade_request(const UpgradeTarget& target, const HttpHeaders& headers,
                                  std::string* expected_accept) {
  guint8 nonce[16];
  for (std::size_t i = 0; i < sizeof nonce; i += 4) {
    const guint32 r = g_random_int();
    std::memcpy(nonce + i, &r, 4);
  }
  gchar* key = g_base64_encode(nonce, sizeof nonce);
  *expected_accept = websocket_accept(key);
  std::string request = build_upgrade_request(target, key, headers);
  g_free(key);
  return request;
}

std::string build_upgrade_request(const UpgradeTarget& target, std::string_view key, const HttpHeaders& headers) {
  std::string request;
  request.reserve(256);
  request += "GET " + target.resource + " HTTP/1.1\r\n";
  request += "Host: " + target.host_header + "\r\n";
  request += "Upgrade: websocket\r\nConnection: Upgrade\r\n";
  request += "Sec-WebSocket-Key: ";
  request += key;
  request += "\r\nSec-WebSocket-Version: 13\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  request += "\r\n";
  return request;
}

UpgradeAnswer parse_upgrade_answer(std::string_view head, std::string_view expected_accept,
                                   std::string_view offered_subprotocol) {
  UpgradeAnswer answer;
  SoupMessageHeaders* headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
  guint status = 0;
  SoupHTTPVersion version;
  char* reason = nullptr;
  const bool parsed = soup_headers_parse_response(head.data(), static_cast<int>(head.size()), headers, &version,
                                                  &status, &reason);
  g_free(reason);
  if (!parsed) {
    soup_message_headers_unref(headers);
    answer.problem = "the server's answer is not HTTP";
    return answer;
  }
  answer.status = status;
  SoupMessageHeadersIter iter;
  soup_message_headers_iter_init(&iter, headers);
  const char* name = nullptr;
  const char* value = nullptr;
  while (soup_message_headers_iter_next(&iter, &name, &value)) answer.headers.emplace_back(name, value);

  if (status != SOUP_STATUS_SWITCHING_PROTOCOLS) {
    answer.problem = "the server answered HTTP " + std::to_string(status) + " to the WebSocket upgrade";
  } else if (!soup_message_headers_header_equals(headers, "Upgrade", "websocket")) {
    answer.problem = "the server's 101 answer does not upgrade to websocket";
  } else if (!soup_message_headers_header_contains(headers, "Connection", "upgrade")) {
    answer.problem = "the server's 101 answer lacks Connection: upgrade";
  } else if (const char* accept = soup_message_headers_get_one(headers, "Sec-WebSocket-Accept");
             !accept || std::string_view(accept) != expected_accept) {
    answer.problem = "the server's Sec-WebSocket-Accept does not match our key";
  } else if (soup_message_headers_get_one(headers, "Sec-WebSocket-Extensions")) {
    answer.problem = "the server chose an extension we did not offer";
  } else if (const char* chosen = soup_message_headers_get_one(headers, "Sec-WebSocket-Protocol");
             chosen && (offered_subprotocol.empty() || std::string_view(chosen) != offered_subprotocol)) {
    answer.problem = "the server chose a subprotocol we did not offer";
  } else {
    answer.ok = true;
    if (chosen) answer.subprotocol = chosen;
  }
  soup_message_headers_unref(headers);
  return answer;
}

}  // namespace mediaflow::net
