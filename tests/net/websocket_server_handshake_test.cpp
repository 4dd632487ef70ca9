// The server side of the WebSocket opening handshake (RFC 6455 §4.2): 101 with the accept
// value, 426 + Sec-WebSocket-Version: 13 for a version we do not speak, 400 otherwise.
#include <mediaflow/net/websocket_server_handshake.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace mediaflow;
using protocol::http::Request;
using protocol::http::RequestParser;

namespace {

Request parse(const std::string& head) {
  RequestParser p;
  EXPECT_EQ(p.feed(head), protocol::http::ParseStatus::kComplete) << head;
  return p.request();
}

std::string upgrade(const std::string& extra_or_replacement_headers,
                    const std::string& base = "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                              "Sec-WebSocket-Version: 13\r\n") {
  return "GET /rtm/voice HTTP/1.1\r\nHost: h\r\n" + base + extra_or_replacement_headers + "\r\n";
}

std::string header(const protocol::http::Response& r, std::string_view name) {
  for (const auto& h : r.headers)
    if (protocol::http::equals_ignoring_case(h.name, name)) return h.value;
  return {};
}

}  // namespace

TEST(WebSocketServerHandshake, ValidRequestGets101WithTheRfcAcceptValue) {
  auto h = net::accept_upgrade_request(parse(upgrade("")));
  ASSERT_TRUE(h.ok) << h.problem;
  EXPECT_EQ(h.response.status, 101u);
  EXPECT_EQ(header(h.response, "Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");  // RFC 6455 §1.3
  EXPECT_EQ(header(h.response, "Upgrade"), "websocket");
  EXPECT_EQ(header(h.response, "Sec-WebSocket-Protocol"), "");
  EXPECT_EQ(header(h.response, "Sec-WebSocket-Extensions"), "");
}

TEST(WebSocketServerHandshake, HeaderValuesAreCaseInsensitiveAndConnectionIsAList) {
  auto h = net::accept_upgrade_request(parse(upgrade("", "upgrade: WebSocket\r\nconnection: keep-alive, UPGRADE\r\n"
                                                        "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                                        "sec-websocket-version: 13\r\n")));
  EXPECT_TRUE(h.ok) << h.problem;
}

TEST(WebSocketServerHandshake, WrongOrMissingVersionIs426NamingVersion13) {
  for (const char* version : {"Sec-WebSocket-Version: 8\r\n", "", "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 8\r\n"}) {
    auto h = net::accept_upgrade_request(parse(upgrade(
        version, "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")));
    EXPECT_FALSE(h.ok);
    EXPECT_EQ(h.response.status, 426u) << version;
    EXPECT_EQ(header(h.response, "Sec-WebSocket-Version"), "13");
  }
}

TEST(WebSocketServerHandshake, OtherViolationsAre400) {
  const std::string version = "Sec-WebSocket-Version: 13\r\n";
  for (const std::string& headers : {
           "Upgrade: websocket\r\nConnection: Upgrade\r\n" + version,                                   // no key
           "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: c2hvcnQ=\r\n" + version,    // 5 bytes
           "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: not base64 at all!!!!!\r\n" + version,
           "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + version,                                 // two keys
           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + version,           // no Upgrade
           "Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + version,
           "Upgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + version,
       }) {
    auto h = net::accept_upgrade_request(parse(upgrade("", headers)));
    EXPECT_FALSE(h.ok) << headers;
    EXPECT_EQ(h.response.status, 400u) << headers;
  }
  auto post = net::accept_upgrade_request(parse(
      "POST /rtm/voice HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
  EXPECT_EQ(post.response.status, 400u);
  auto http10 = net::accept_upgrade_request(parse(
      "GET /rtm/voice HTTP/1.0\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
  EXPECT_EQ(http10.response.status, 400u);
}

TEST(WebSocketServerHandshake, ASelectedSubprotocolIsAnswered) {
  const Request r = parse(upgrade("Sec-WebSocket-Protocol: audio.jambonz.org, other\r\n"));
  EXPECT_EQ(r.header_list("Sec-WebSocket-Protocol"), (std::vector<std::string_view>{"audio.jambonz.org", "other"}));
  auto h = net::accept_upgrade_request(r, "audio.jambonz.org");
  ASSERT_TRUE(h.ok);
  EXPECT_EQ(header(h.response, "Sec-WebSocket-Protocol"), "audio.jambonz.org");
}
