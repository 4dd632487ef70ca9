#include <mediaflow/net/websocket_upgrade.hpp>

#include <gtest/gtest.h>

using namespace mediaflow::net;

TEST(WebSocketUpgrade, TargetsForWsAndWssUrls) {
  UpgradeTarget t;
  std::string why;
  ASSERT_TRUE(parse_upgrade_target("wss://api.deepgram.com/v1/listen?encoding=mulaw&tag=a%20b", &t, &why));
  EXPECT_TRUE(t.tls);
  EXPECT_EQ(t.host, "api.deepgram.com");
  EXPECT_EQ(t.port, 443);
  EXPECT_EQ(t.host_header, "api.deepgram.com");
  EXPECT_EQ(t.resource, "/v1/listen?encoding=mulaw&tag=a%20b");  // escapes kept as given

  ASSERT_TRUE(parse_upgrade_target("ws://127.0.0.1:8123", &t, &why));
  EXPECT_FALSE(t.tls);
  EXPECT_EQ(t.port, 8123);
  EXPECT_EQ(t.host_header, "127.0.0.1:8123");
  EXPECT_EQ(t.resource, "/");

  ASSERT_TRUE(parse_upgrade_target("WS://[::1]:80/x", &t, &why));
  EXPECT_EQ(t.host, "::1");
  EXPECT_EQ(t.host_header, "[::1]");
}

TEST(WebSocketUpgrade, BadUrlsAreRefusedWithoutEchoingThem) {
  UpgradeTarget t;
  std::string why;
  EXPECT_FALSE(parse_upgrade_target("https://example.com/x", &t, &why));
  EXPECT_FALSE(parse_upgrade_target("ws://", &t, &why));
  EXPECT_FALSE(parse_upgrade_target("not a url?token=s3cret", &t, &why));
  EXPECT_EQ(why.find("s3cret"), std::string::npos) << why;
  EXPECT_FALSE(parse_upgrade_target("wss://user:pw@example.com/", &t, &why));
  EXPECT_EQ(why.find("pw"), std::string::npos) << why;
}

TEST(WebSocketUpgrade, AcceptKeyIsTheRfcExample) {
  // RFC 6455 §1.3.
  EXPECT_EQ(websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketUpgrade, RequestCarriesKeyVersionAndExtraHeaders) {
  UpgradeTarget t;
  std::string why;
  ASSERT_TRUE(parse_upgrade_target("ws://vendor.test:9000/v1/convai?agent_id=a", &t, &why));
  std::string accept1, accept2;
  const std::string r1 = build_upgrade_request(t, {{"xi-api-key", "k"}}, &accept1);
  const std::string r2 = build_upgrade_request(t, {}, &accept2);
  EXPECT_EQ(r1.rfind("GET /v1/convai?agent_id=a HTTP/1.1\r\n", 0), 0u) << r1;
  EXPECT_NE(r1.find("\r\nHost: vendor.test:9000\r\n"), std::string::npos);
  EXPECT_NE(r1.find("\r\nUpgrade: websocket\r\n"), std::string::npos);
  EXPECT_NE(r1.find("\r\nConnection: Upgrade\r\n"), std::string::npos);
  EXPECT_NE(r1.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_NE(r1.find("\r\nxi-api-key: k\r\n"), std::string::npos);
  EXPECT_EQ(r1.substr(r1.size() - 4), "\r\n\r\n");
  EXPECT_NE(accept1, accept2);  // a fresh key each time
  const auto at = r1.find("Sec-WebSocket-Key: ") + 19;
  EXPECT_EQ(websocket_accept(r1.substr(at, r1.find("\r\n", at) - at)), accept1);
}

TEST(WebSocketUpgrade, HeaderInjectionIsRefused) {
  std::string why;
  EXPECT_TRUE(check_request_headers({{"Authorization", "Token abc"}}, &why));
  EXPECT_FALSE(check_request_headers({{"Authorization", "Token abc\r\nHost: evil"}}, &why));
  EXPECT_EQ(why.find("abc"), std::string::npos) << why;
  EXPECT_FALSE(check_request_headers({{"Bad Name", "x"}}, &why));
  EXPECT_FALSE(check_request_headers({{"", "x"}}, &why));
}

TEST(WebSocketUpgrade, AnswersAreChecked) {
  const std::string accept = websocket_accept("dGhlIHNhbXBsZSBub25jZQ==");
  const std::string good = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
                           "Sec-WebSocket-Accept: " + accept + "\r\n\r\n";
  auto a = parse_upgrade_answer(good, accept);
  EXPECT_TRUE(a.ok) << a.problem;
  EXPECT_EQ(a.status, 101u);

  a = parse_upgrade_answer(good, websocket_accept("another key"));
  EXPECT_FALSE(a.ok);
  EXPECT_NE(a.problem.find("Accept"), std::string::npos);

  a = parse_upgrade_answer("HTTP/1.1 401 Unauthorized\r\ndg-error: Invalid credentials\r\nContent-Length: 0\r\n\r\n",
                           accept);
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.status, 401u);
  ASSERT_EQ(a.headers.size(), 2u);
  bool found = false;
  for (const auto& [name, value] : a.headers) found = found || (name == "dg-error" && value == "Invalid credentials");
  EXPECT_TRUE(found);

  a = parse_upgrade_answer("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: " + accept + "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
                           accept);
  EXPECT_FALSE(a.ok);

  a = parse_upgrade_answer("SSH-2.0-OpenSSH\r\n\r\n", accept);
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.status, 0u);
}

TEST(WebSocketUpgrade, AnOfferedSubprotocolMayBeSelectedOrNotAnyOther) {
  const std::string accept = websocket_accept("dGhlIHNhbXBsZSBub25jZQ==");
  const std::string head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: " + accept + "\r\n";
  auto a = parse_upgrade_answer(head + "Sec-WebSocket-Protocol: audio.jambonz.org\r\n\r\n", accept, "audio.jambonz.org");
  EXPECT_TRUE(a.ok) << a.problem;
  EXPECT_EQ(a.subprotocol, "audio.jambonz.org");

  a = parse_upgrade_answer(head + "\r\n", accept, "audio.jambonz.org");  // none selected: the owner decides
  EXPECT_TRUE(a.ok) << a.problem;
  EXPECT_EQ(a.subprotocol, "");

  a = parse_upgrade_answer(head + "Sec-WebSocket-Protocol: chat\r\n\r\n", accept, "audio.jambonz.org");
  EXPECT_FALSE(a.ok);
  EXPECT_NE(a.problem.find("subprotocol"), std::string::npos);

  a = parse_upgrade_answer(head + "Sec-WebSocket-Protocol: audio.jambonz.org\r\n\r\n", accept);  // none offered
  EXPECT_FALSE(a.ok);
}
