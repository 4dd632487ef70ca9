// The vendor-side WebSocket client against real servers on 127.0.0.1: a libsoup 3 WebSocket
// server (ws:// and wss:// with the self-signed certificate in tests/fixtures/tls) for the
// normal exchanges, and a raw socket server for what libsoup never sends (fragmented
// messages, masked server frames, silence).
#include <mediaflow/net/websocket_client.hpp>
#include <mediaflow/protocol/websocket_frame.hpp>

#include "support/loop_thread.hpp"
#include "support/loopback_soup_server.hpp"
#include "support/paths.hpp"
#include "support/wait_until.hpp"
#include "support/websocket_probe.hpp"

#include <libsoup/soup.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using mediaflow::net::WebSocketClient;
using mediaflow::net::WebSocketClientCallbacks;
using mediaflow::net::WebSocketClientOptions;
using mediaflow::net::WebSocketConnectFailure;
using mediaflow::net::WebSocketMessageType;
using mediaflow::test::LoopThread;
using mediaflow::test::wait_until;
namespace ws = mediaflow::protocol::websocket;

constexpr int kWaitMs = 5000;

std::string pattern(std::size_t size, unsigned seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 31 + seed) & 0xff);
  return s;
}

// --- The libsoup server --------------------------------------------------------------------

// Echoes every message with its type. Text commands: "close:<code>:<reason>" closes with that
// code; "send:<bytes>" sends a binary message of that size. /refuse answers 403 with a
// dg-error header. Records request headers, messages and the client's close code.
class EchoServer {
 public:
  struct Seen {
    std::string authorization;
    std::vector<std::pair<int, std::string>> messages;  // SoupWebsocketDataType, payload
    int connections = 0;
    int closed = 0;
    unsigned short client_close_code = 0;
    std::string client_close_reason;
  };

  explicit EchoServer(GTlsCertificate* certificate = nullptr) {
    if (certificate) server_.use_tls(certificate);
    port_ = server_.start(0, [this](SoupServer* server) {
      soup_server_add_websocket_handler(server, "/ws", nullptr, nullptr, &EchoServer::on_websocket, this, nullptr);
      soup_server_add_handler(server, "/refuse", &EchoServer::on_refuse, this, nullptr);
    }, [this] {
      for (auto* c : connections_) g_object_unref(c);
      connections_.clear();
    });
  }
  ~EchoServer() { server_.stop(); }

  std::uint16_t port() const { return port_; }
  Seen seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  static void on_refuse(SoupServer*, SoupServerMessage* msg, const char*, GHashTable*, gpointer) {
    soup_server_message_set_status(msg, SOUP_STATUS_FORBIDDEN, nullptr);
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "dg-error", "test refusal");
    soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_STATIC, "no", 2);
  }

  static void on_websocket(SoupServer*, SoupServerMessage* msg, const char*, SoupWebsocketConnection* conn,
                           gpointer data) {
    auto* self = static_cast<EchoServer*>(data);
    soup_websocket_connection_set_max_incoming_payload_size(conn, 0);
    {
      std::lock_guard lock(self->mutex_);
      ++self->seen_.connections;
      const char* auth =
          soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Authorization");
      self->seen_.authorization = auth ? auth : "";
    }
    self->connections_.push_back(G_OBJECT(g_object_ref(conn)));
    g_signal_connect(conn, "message", G_CALLBACK(&EchoServer::on_message), self);
    g_signal_connect(conn, "closed", G_CALLBACK(&EchoServer::on_closed), self);
  }

  static void on_message(SoupWebsocketConnection* conn, gint type, GBytes* message, gpointer data) {
    auto* self = static_cast<EchoServer*>(data);
    gsize size = 0;
    const auto* p = static_cast<const char*>(g_bytes_get_data(message, &size));
    std::string payload(p ? p : "", size);
    {
      std::lock_guard lock(self->mutex_);
      self->seen_.messages.emplace_back(type, payload);
    }
    if (type == SOUP_WEBSOCKET_DATA_TEXT && payload.rfind("close:", 0) == 0) {
      const auto colon = payload.find(':', 6);
      const auto code = static_cast<gushort>(std::stoi(payload.substr(6, colon - 6)));
      soup_websocket_connection_close(conn, code, payload.substr(colon + 1).c_str());
      return;
    }
    if (type == SOUP_WEBSOCKET_DATA_TEXT && payload.rfind("send:", 0) == 0) {
      const std::string big = pattern(std::stoul(payload.substr(5)), 7);
      soup_websocket_connection_send_binary(conn, big.data(), big.size());
      return;
    }
    soup_websocket_connection_send_message(conn, static_cast<SoupWebsocketDataType>(type), message);
  }

  static void on_closed(SoupWebsocketConnection* conn, gpointer data) {
    auto* self = static_cast<EchoServer*>(data);
    std::lock_guard lock(self->mutex_);
    ++self->seen_.closed;
    self->seen_.client_close_code = soup_websocket_connection_get_close_code(conn);
    const char* reason = soup_websocket_connection_get_close_data(conn);
    self->seen_.client_close_reason = reason ? reason : "";
  }

  mediaflow::test::LoopbackSoupServer server_;
  std::uint16_t port_ = 0;
  std::mutex mutex_;
  Seen seen_;
  std::vector<GObject*> connections_;  // server thread only
};

// --- The raw server --------------------------------------------------------------------------

// Accepts one connection on 127.0.0.1, answers the upgrade correctly (unless `answer_upgrade`
// is false: then it reads the request and stays silent), then runs `script` with the socket.
class RawServer {
 public:
  using Script = std::function<void(int fd, RawServer& server)>;

  explicit RawServer(Script script, bool answer_upgrade = true) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(listen_fd_, 4);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, script = std::move(script), answer_upgrade] {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, kWaitMs) != 1) return;
      const int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::string request;
      char buf[1024];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = read_with_timeout(fd, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
      }
      if (answer_upgrade) {
        const auto at = request.find("Sec-WebSocket-Key: ");
        const std::string key = request.substr(at + 19, request.find("\r\n", at) - at - 19);
        const std::string answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                   "Sec-WebSocket-Accept: " + mediaflow::net::websocket_accept(key) + "\r\n\r\n";
        write_all(fd, answer);
        script(fd, *this);
      } else {
        // Silent: hold the connection until the client gives up.
        while (read_with_timeout(fd, buf, sizeof buf) > 0) {
        }
      }
      ::close(fd);
    });
  }
  ~RawServer() {
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
  }

  std::uint16_t port() const { return port_; }

  static void write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  static ssize_t read_with_timeout(int fd, char* buf, std::size_t size) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, kWaitMs) != 1) return -1;
    return ::read(fd, buf, size);
  }
  // Reads client frames (which must be masked: the server-role reader refuses anything else)
  // until `until` returns true for one or the socket ends. Returns every message read.
  std::vector<std::pair<ws::Opcode, std::string>> read_client_frames(
      int fd, const std::function<bool(ws::Opcode, const std::string&)>& until) {
    std::vector<std::pair<ws::Opcode, std::string>> got;
    char buf[4096];
    bool done = false;
    while (!done) {
      const ssize_t n = read_with_timeout(fd, buf, sizeof buf);
      if (n <= 0) break;
      auto error = reader_.feed(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(buf), std::size_t(n)),
                                [&](const ws::Message& m) {
                                  std::string payload(reinterpret_cast<const char*>(m.payload.data()),
                                                      m.payload.size());
                                  got.emplace_back(m.opcode, payload);
                                  done = until(m.opcode, payload);
                                  return !done;
                                });
      if (error) {
        client_protocol_error = true;
        break;
      }
    }
    return got;
  }

  bool client_protocol_error = false;

 private:
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  ws::MessageReader reader_{ws::MessageReader::Role::kServer, 1 << 20};
};

// A server frame, unmasked unless `mask` (which no server may do).
std::string server_frame(std::uint8_t first_byte, std::string_view payload, bool mask = false) {
  std::string out(1, static_cast<char>(first_byte));
  const ws::MaskKey key{1, 2, 3, 4};
  out.push_back(static_cast<char>((mask ? 0x80 : 0) | payload.size()));  // < 126 bytes here
  std::string body(payload);
  if (mask) {
    out.append(reinterpret_cast<const char*>(key.data()), 4);
    ws::apply_mask(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(body.data()), body.size()), key);
  }
  return out + body;
}

// --- The client side -------------------------------------------------------------------------

// A client on a loop thread of its own, recording what its callbacks report.
using Probe = mediaflow::test::WebSocketProbe;

WebSocketClientOptions options_for(const std::string& url) {
  WebSocketClientOptions options;
  options.url = url;
  options.connect_timeout_ms = kWaitMs;
  return options;
}

std::string ws_url(std::uint16_t port, const char* path = "/ws") {
  return "ws://127.0.0.1:" + std::to_string(port) + path;
}

GTlsCertificate* test_certificate() {
  const auto dir = mediaflow::test::source_dir() / "tests" / "fixtures" / "tls";
  GError* error = nullptr;
  GTlsCertificate* cert =
      g_tls_certificate_new_from_files((dir / "cert.pem").c_str(), (dir / "key.pem").c_str(), &error);
  EXPECT_NE(cert, nullptr) << (error ? error->message : "");
  g_clear_error(&error);
  return cert;
}

GTlsDatabase* test_ca() {
  const auto path = mediaflow::test::source_dir() / "tests" / "fixtures" / "tls" / "cert.pem";
  GError* error = nullptr;
  GTlsDatabase* db = g_tls_file_database_new(path.c_str(), &error);
  EXPECT_NE(db, nullptr) << (error ? error->message : "");
  g_clear_error(&error);
  return db;
}

}  // namespace

TEST(WebSocketClient, TextAndBinaryGoBothWaysWithTheRequestHeaders) {
  EchoServer server;
  ASSERT_NE(server.port(), 0);
  Probe probe;
  auto options = options_for(ws_url(server.port()));
  options.headers = {{"Authorization", "Token secret-key"}};
  ASSERT_TRUE(probe.connect(options));
  ASSERT_TRUE(probe.wait_open());
  const std::string binary("\x00\x01\xff\x80zero\x00", 9);
  probe.with_client([&](WebSocketClient& c) {
    EXPECT_TRUE(c.is_open());
    c.send_text("hello vendor");
    c.send_binary(binary.data(), binary.size());
  });
  ASSERT_TRUE(probe.wait([](const Probe::Record& r) { return r.messages.size() >= 2; }));
  const auto record = probe.record();
  EXPECT_EQ(record.messages[0].first, WebSocketMessageType::kText);
  EXPECT_EQ(record.messages[0].second, "hello vendor");
  EXPECT_EQ(record.messages[1].first, WebSocketMessageType::kBinary);
  EXPECT_EQ(record.messages[1].second, binary);
  const auto seen = server.seen();
  EXPECT_EQ(seen.authorization, "Token secret-key");
  ASSERT_EQ(seen.messages.size(), 2u);
  EXPECT_EQ(seen.messages[0].first, SOUP_WEBSOCKET_DATA_TEXT);
  EXPECT_EQ(seen.messages[1].first, SOUP_WEBSOCKET_DATA_BINARY);
  EXPECT_FALSE(record.closed);
}

TEST(WebSocketClient, LargeMessagesGoBothWaysIntact) {
  EchoServer server;
  Probe probe;
  auto options = options_for(ws_url(server.port()));
  options.max_message_bytes = 4 << 20;  // above the default cap: this test is about large ones
  ASSERT_TRUE(probe.connect(options));
  ASSERT_TRUE(probe.wait_open());
  // 16-bit and 64-bit payload lengths; the 3 MB ones take many reads and writes each way.
  std::string medium(40000, 'x');  // text: valid UTF-8
  for (std::size_t i = 0; i < medium.size(); ++i) medium[i] = static_cast<char>('a' + i % 26);
  const std::string large = pattern(3 * 1024 * 1024 + 17, 2);
  probe.with_client([&](WebSocketClient& c) {
    c.send_text(medium);
    c.send_binary(large.data(), large.size());
    c.send_text("send:2000000");
  });
  ASSERT_TRUE(probe.wait([](const Probe::Record& r) { return r.messages.size() >= 3; }))
      << probe.record().messages.size() << " messages, server saw " << server.seen().messages.size()
      << " closed=" << probe.record().closed << " error=" << probe.record().error;
  const auto record = probe.record();
  EXPECT_EQ(record.messages[0].second, medium);
  EXPECT_EQ(record.messages[1].first, WebSocketMessageType::kBinary);
  EXPECT_TRUE(record.messages[1].second == large) << "echoed " << record.messages[1].second.size() << " bytes";
  EXPECT_TRUE(record.messages[2].second == pattern(2000000, 7));
  EXPECT_FALSE(record.closed);
}

TEST(WebSocketClient, ServerCloseCodeAndReasonAreReported) {
  EchoServer server;
  Probe probe;
  ASSERT_TRUE(probe.connect(options_for(ws_url(server.port()))));
  ASSERT_TRUE(probe.wait_open());
  probe.with_client([](WebSocketClient& c) { c.send_text("close:4001:bye now"); });
  ASSERT_TRUE(probe.wait([](const Probe::Record& r) { return r.closed; }));
  const auto record = probe.record();
  EXPECT_EQ(record.close_code, 4001);
  EXPECT_EQ(record.close_reason, "bye now");
  EXPECT_EQ(record.error, "");
  // The client answered the close frame: the server's handshake completed too.
  ASSERT_TRUE(wait_until([&] { return server.seen().closed == 1; }, kWaitMs));
  EXPECT_EQ(server.seen().client_close_code, 4001);
}

TEST(WebSocketClient, ClientCloseCompletesTheHandshake) {
  EchoServer server;
  Probe probe;
  ASSERT_TRUE(probe.connect(options_for(ws_url(server.port()))));
  ASSERT_TRUE(probe.wait_open());
  probe.with_client([](WebSocketClient& c) {
    c.send_text("last words");
    c.close(1000, "done");
    EXPECT_EQ(c.state(), WebSocketClient::State::kClosing);
    c.send_text("after close: dropped");
  });
  ASSERT_TRUE(probe.wait([](const Probe::Record& r) { return r.closed; }));
  const auto record = probe.record();
  EXPECT_EQ(record.close_code, 1000);  // the server's answer
  EXPECT_EQ(record.error, "");
  ASSERT_TRUE(wait_until([&] { return server.seen().closed == 1; }, kWaitMs));
  const auto seen = server.seen();
  EXPECT_EQ(seen.client_close_code, 1000);
  EXPECT_EQ(seen.client_close_reason, "done");
  ASSERT_EQ(seen.messages.size(), 1u);
  EXPECT_EQ(seen.messages[0].second, "last words");
}

TEST(WebSocketClient, DroppedAfterCloseStillClosesPolitely) {
  EchoServer server;
  LoopThread loop;
  std::shared_ptr<WebSocketClient> client;
  bool opened = false;
  loop.run_sync([&] {
    WebSocketClientCallbacks callbacks;
    callbacks.opened = [&] {
      opened = true;
      client->close(1001, "going");
      client.reset();  // the owner forgets it in the middle of the close handshake
    };
    client = WebSocketClient::connect(options_for(ws_url(server.port())), std::move(callbacks));
  });
  ASSERT_TRUE(wait_until([&] { return server.seen().closed == 1; }, kWaitMs));
  EXPECT_EQ(server.seen().client_close_code, 1001);
  EXPECT_EQ(server.seen().client_close_reason, "going");
  loop.run_sync([&] { EXPECT_TRUE(opened); });
}

TEST(WebSocketClient, RefusedUpgradeReportsStatusAndHeaders) {
  EchoServer server;
  Probe probe;
  auto options = options_for(ws_url(server.port(), "/refuse"));
  options.headers = {{"Authorization", "Token secret-key"}};
  ASSERT_TRUE(probe.connect(options));
  ASSERT_TRUE(probe.wait([](const Probe::Record& r) { return r.failure.has_value(); }));
  const auto record = probe.record();
  EXPECT_FALSE(record.opened);
  EXPECT_FALSE(record.closed);
  EXPECT_EQ(record.failure->http_status, 403u);
  EXPECT_FALSE(record.failure->timed_out);
  ASSERT_NE(record.failure->header("DG-Error"), nullptr);
  EXPECT_EQ(*record.failure->header("dg-error"), "test refusal");
  EXPECT_EQ(record.failure->header("x-not-there"), nullptr);
  EXPECT_NE(record.failure->message.find("403"), std::string::npos) << record.failure->message;
  EXPECT_EQ(record.failure->message.find("secret-key"), std::string::npos);
}

TEST(WebSocketClient, ConnectionRefusedIsAFailureWithoutStatus) {
  // A port that was free a moment ago: nothing listens there.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::uint16_t port = ntohs(addr.sin_port);
  close(fd);

  Probe probe;
  ASSERT_TRUE(probe.connect(options_for(ws_url(port))));
  ASSERT_TRUE(probe.wait([](const Probe::Record& r) { return r.failure.has_value(); }));
  const auto record = probe.record();
  EXPECT_EQ(record.failure->http_status, 0u);
  EXPECT_FALSE(record.failure->timed_out);
  EXPECT_NE(record.failure->message.find("cannot connect"), std::string::npos) << record.failure->message;
}

TEST(WebSocketClient, UnansweredUpgradeTimesOut) {
  RawServer server([](int, RawServer&) {}, /*answer_upgrade=*/false);
  Probe probe;
  auto options = options_for(ws_url(server.port()));
  options.connect_timeout_ms = 200;
  ASSERT_TRUE(probe.connect(options));
  ASSERT_TRUE(probe.wait([](const Probe::Record& r) { return r.failure.has_value(); }));
  const auto record = probe.record();
  EXPECT_TRUE(record.failure->timed_out);
  EXPECT_EQ(record.failure->http_status, 0u);
}

TEST(WebSocketClient, BadUrlsAndHeadersAreRefusedAtOnce) {
  Probe probe;
  std::string error;
  EXPECT_FALSE(probe.connect(options_for("http://127.0.0.1:1/x"), &error));
  EXPECT_NE(error.find("ws://"), std::string::npos) << error;
  EXPECT_FALSE(probe.connect(options_for("ws:///nohost"), &error));
  auto options = options_for("ws://127.0.0.1:1/x?token=secret");
  options.headers = {{"Authorization", "Token a\r\nX-Injected: 1"}};
  EXPECT_FALSE(probe.connect(options, &error));
  EXPECT_NE(error.find("Authorization"), std::string::npos) << error;
  EXPECT_EQ(error.find("secret"), std::string::npos);
  EXPECT_EQ(error.find("Injected"), std::string::npos);
}

TEST(WebSocketClient, FragmentedMessagesPingsAndPongs) {
  std::vector<std::pair<ws::Opcode, std::string>> from_client;
  bool client_frames_valid = false;
  std::optional<RawServer> server;
  server.emplace([&](int fd, RawServer& self) {
    // "frag" + "mented" as a text message in two frames with a ping between them, then a
    // binary message in three frames.
    RawServer::write_all(fd, server_frame(0x01, "frag") + server_frame(0x89, "are you there") +
                                 server_frame(0x80, "mented") + server_frame(0x02, "ab") +
                                 server_frame(0x00, "cd") + server_frame(0x80, "ef"));
    from_client = self.read_client_frames(fd, [](ws::Opcode op, const std::string&) {
      return op == ws::Opcode::kClose;
    });
    client_frames_valid = !self.client_protocol_error;
    RawServer::write_all(fd, server_frame(0x88, std::string("\x03\xe8", 2)));
  });
  Probe probe;
  auto options = options_for(ws_url(server->port()));
  options.ping_interval_ms = 20;
  ASSERT_TRUE(probe.connect(options));
  ASSERT_TRUE(probe.wait_open());
  ASSERT_TRUE(probe.wait([](const Probe::Record& r) { return r.messages.size() >= 2; }));
  g_usleep(80000);  // a few ping intervals
  probe.with_client([](WebSocketClient& c) { c.close(1000); });
  ASSERT_TRUE(probe.wait([](const Probe::Record& r) { return r.closed; }));
  const auto record = probe.record();
  ASSERT_EQ(record.messages.size(), 2u);
  EXPECT_EQ(record.messages[0], std::make_pair(WebSocketMessageType::kText, std::string("fragmented")));
  EXPECT_EQ(record.messages[1], std::make_pair(WebSocketMessageType::kBinary, std::string("abcdef")));
  EXPECT_EQ(record.close_code, 1000);
  EXPECT_EQ(record.error, "");
  server.reset();  // joins: from_client is complete
  // Every client frame was masked (the server-role reader refuses anything else).
  EXPECT_TRUE(client_frames_valid);
  bool pong = false;
  int pings = 0;
  for (const auto& [op, payload] : from_client) {
    if (op == ws::Opcode::kPong && payload == "are you there") pong = true;
    if (op == ws::Opcode::kPing) ++pings;
  }
  EXPECT_TRUE(pong);
  EXPECT_GE(pings, 1);  // keepalive pings
  ASSERT_FALSE(from_client.empty());
  EXPECT_EQ(from_client.back().first, ws::Opcode::kClose);
}

TEST(WebSocketClient, MaskedServerFrameIsAProtocolError) {
  std::vector<std::pair<ws::Opcode, std::string>> from_client;
  std::optional<RawServer> server;
  server.emplace([&](int fd, RawServer& self) {
    RawServer::write_all(fd, server_frame(0x81, "sneaky", /*mask=*/true));
    from_client = self.read_client_frames(fd, [](ws::Opcode op, const std::string&) {
      return op == ws::Opcode::kClose;
    });
  });
  Probe probe;
  ASSERT_TRUE(probe.connect(options_for(ws_url(server->port()))));
  ASSERT_TRUE(probe.wait([](const Probe::Record& r) { return r.closed; }));
  const auto record = probe.record();
  EXPECT_TRUE(record.messages.empty());
  EXPECT_EQ(record.close_code, 1006);  // no close frame came from the server
  EXPECT_FALSE(record.error.empty());
  server.reset();
  ASSERT_FALSE(from_client.empty());
  EXPECT_EQ(from_client.back().first, ws::Opcode::kClose);
  EXPECT_EQ(ws::parse_close_payload(from_client.back().second)->code, ws::close_code::kProtocolError);
}

TEST(WebSocketClient, MessagesOverTheSizeCapCloseWith1009) {
  EchoServer server;
  Probe probe;
  auto options = options_for(ws_url(server.port()));
  options.max_message_bytes = 1000;
  ASSERT_TRUE(probe.connect(options));
  ASSERT_TRUE(probe.wait_open());
  probe.with_client([](WebSocketClient& c) {
    c.send_text("send:1000");
    c.send_text("send:1001");
  });
  ASSERT_TRUE(probe.wait([](const Probe::Record& r) { return r.closed; }));
  const auto record = probe.record();
  ASSERT_EQ(record.messages.size(), 1u);
  EXPECT_EQ(record.messages[0].second.size(), 1000u);
  EXPECT_FALSE(record.error.empty());
  ASSERT_TRUE(wait_until([&] { return server.seen().closed == 1; }, kWaitMs));
  EXPECT_EQ(server.seen().client_close_code, ws::close_code::kTooBig);
}

TEST(WebSocketClient, ByDefaultAVendorMessageOverOneMebibyteClosesWith1009) {
  EchoServer server;
  Probe probe;
  ASSERT_TRUE(probe.connect(options_for(ws_url(server.port()))));  // the default cap
  ASSERT_TRUE(probe.wait_open());
  probe.with_client([](WebSocketClient& c) {
    c.send_text("send:1048576");
    c.send_text("send:1048577");
  });
  ASSERT_TRUE(probe.wait([](const Probe::Record& r) { return r.closed; }));
  const auto record = probe.record();
  ASSERT_EQ(record.messages.size(), 1u);
  EXPECT_EQ(record.messages[0].second.size(), 1048576u);
  EXPECT_EQ(record.error, "message too big");
  ASSERT_TRUE(wait_until([&] { return server.seen().closed == 1; }, kWaitMs));
  EXPECT_EQ(server.seen().client_close_code, ws::close_code::kTooBig);
}

namespace {

// A raw server that sends `frames` after the upgrade, then reads the client's frames until its
// close frame. Returns the code of that close frame (0: none) and what the client reported.
struct StrictPeerResult {
  std::uint16_t client_close_code = 0;
  Probe::Record record;
};
StrictPeerResult against_raw_server(const std::string& frames) {
  std::vector<std::pair<ws::Opcode, std::string>> from_client;
  StrictPeerResult result;
  {
    RawServer server([&](int fd, RawServer& self) {
      RawServer::write_all(fd, frames);
      from_client = self.read_client_frames(fd, [](ws::Opcode op, const std::string&) {
        return op == ws::Opcode::kClose;
      });
    });
    Probe probe;
    EXPECT_TRUE(probe.connect(options_for(ws_url(server.port()))));
    EXPECT_TRUE(probe.wait([](const Probe::Record& r) { return r.closed || r.failure; }));
    result.record = probe.record();
  }
  if (!from_client.empty() && from_client.back().first == ws::Opcode::kClose) {
    auto close = ws::parse_close_payload(from_client.back().second);
    result.client_close_code = close ? close->code : 0;
  }
  return result;
}

std::string two_bytes(std::uint16_t code) {
  return {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
}

}  // namespace

TEST(WebSocketClient, ServerTextThatIsNotUtf8ClosesWith1007) {
  const auto r = against_raw_server(server_frame(0x81, "{\"type\":\"Results\xc0\xaf\"}"));
  EXPECT_TRUE(r.record.messages.empty());
  EXPECT_EQ(r.client_close_code, ws::close_code::kInvalidPayload);
  EXPECT_FALSE(r.record.error.empty());
}

TEST(WebSocketClient, ServerFragmentedTextIsCheckedForUtf8) {
  const auto r = against_raw_server(server_frame(0x01, "ok \xed") + server_frame(0x80, "\xa0\x80"));
  EXPECT_TRUE(r.record.messages.empty());
  EXPECT_EQ(r.client_close_code, ws::close_code::kInvalidPayload);
}

TEST(WebSocketClient, ServerCloseWithACodeThatMayNotBeSentIsAnsweredWith1002) {
  for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
    const auto r = against_raw_server(server_frame(0x88, two_bytes(static_cast<std::uint16_t>(code))));
    EXPECT_EQ(r.client_close_code, ws::close_code::kProtocolError) << code;
    EXPECT_TRUE(r.record.closed) << code;
  }
}

TEST(WebSocketClient, ServerCloseWithOneByteIsAnsweredWith1002) {
  const auto r = against_raw_server(server_frame(0x88, "x"));
  EXPECT_EQ(r.client_close_code, ws::close_code::kProtocolError);
}

TEST(WebSocketClient, ServerCloseWithAReasonThatIsNotUtf8IsAnsweredWith1007) {
  const auto r = against_raw_server(server_frame(0x88, two_bytes(1000) + "bye \xff"));
  EXPECT_EQ(r.client_close_code, ws::close_code::kInvalidPayload);
}

TEST(WebSocketClient, ServerCloseWithAValidCodeIsEchoed) {
  for (std::uint16_t code : {1000, 1001, 1003, 1011, 1014, 3000, 4999}) {
    const auto r = against_raw_server(server_frame(0x88, two_bytes(code) + "fine"));
    EXPECT_EQ(r.client_close_code, code) << code;
    EXPECT_EQ(r.record.close_code, code);
    EXPECT_EQ(r.record.close_reason, "fine");
    EXPECT_EQ(r.record.error, "");
  }
}

TEST(WebSocketClient, ServerControlFramesOver125BytesOrFragmentedAreRefusedWith1002) {
  std::string long_ping;  // 126 bytes need the 16-bit length form
  long_ping += '\x89';
  long_ping += '\x7e';
  long_ping += two_bytes(126);
  long_ping += std::string(126, 'p');
  EXPECT_EQ(against_raw_server(long_ping).client_close_code, ws::close_code::kProtocolError);
  EXPECT_EQ(against_raw_server(server_frame(0x09, "frag")).client_close_code, ws::close_code::kProtocolError);
  EXPECT_EQ(against_raw_server(server_frame(0xC1, "rsv")).client_close_code, ws::close_code::kProtocolError);
  EXPECT_EQ(against_raw_server(server_frame(0x83, "op3")).client_close_code, ws::close_code::kProtocolError);
}

TEST(WebSocketClient, WssWithTheTestCertificateAuthority) {
  GTlsCertificate* certificate = test_certificate();
  ASSERT_NE(certificate, nullptr);
  EchoServer server(certificate);
  g_object_unref(certificate);
  ASSERT_NE(server.port(), 0);
  GTlsDatabase* ca = test_ca();
  ASSERT_NE(ca, nullptr);
  Probe probe;
  auto options = options_for("wss://127.0.0.1:" + std::to_string(server.port()) + "/ws");
  options.tls_database = ca;
  options.headers = {{"Authorization", "Token tls-key"}};
  options.max_message_bytes = 2 << 20;  // the echo below is just over the 1 MiB default cap
  ASSERT_TRUE(probe.connect(options));
  g_object_unref(ca);  // the client holds its own reference
  ASSERT_TRUE(probe.wait_open()) << (probe.record().failure ? probe.record().failure->message : "");
  // Larger than TLS records (16 KiB) both ways: the reads drain what TLS holds decrypted.
  const std::string large = pattern(1024 * 1024 + 3, 5);
  probe.with_client([&](WebSocketClient& c) {
    c.send_text("over tls");
    c.send_binary(large.data(), large.size());
    c.send_text("send:200000");
  });
  ASSERT_TRUE(probe.wait([](const Probe::Record& r) { return r.messages.size() >= 3; }));
  auto record = probe.record();
  EXPECT_EQ(record.messages[0].second, "over tls");
  EXPECT_TRUE(record.messages[1].second == large);
  EXPECT_TRUE(record.messages[2].second == pattern(200000, 7));
  EXPECT_EQ(server.seen().authorization, "Token tls-key");
  probe.with_client([](WebSocketClient& c) { c.close(1000, "tls done"); });
  ASSERT_TRUE(probe.wait([](const Probe::Record& r) { return r.closed; }));
  EXPECT_EQ(probe.record().close_code, 1000);
  ASSERT_TRUE(wait_until([&] { return server.seen().closed == 1; }, kWaitMs));
  EXPECT_EQ(server.seen().client_close_reason, "tls done");
}

TEST(WebSocketClient, WssRefusesAnUntrustedCertificateByDefault) {
  GTlsCertificate* certificate = test_certificate();
  ASSERT_NE(certificate, nullptr);
  EchoServer server(certificate);
  g_object_unref(certificate);
  Probe probe;
  ASSERT_TRUE(probe.connect(options_for("wss://127.0.0.1:" + std::to_string(server.port()) + "/ws")));
  ASSERT_TRUE(probe.wait([](const Probe::Record& r) { return r.failure.has_value() || r.opened; }));
  const auto record = probe.record();
  EXPECT_FALSE(record.opened);
  ASSERT_TRUE(record.failure.has_value());
  EXPECT_EQ(record.failure->http_status, 0u);
  EXPECT_EQ(server.seen().connections, 0);
}

TEST(WebSocketClient, ALoopPollsTheSameFdsForOneOrManyConnections) {
  // What the GLib loop prepares and polls on every wake-up must not grow with the number of
  // vendor connections on it (the point of the shared epoll set and timers).
  EchoServer server;
  GMainContext* context = g_main_context_new();
  g_main_context_push_thread_default(context);
  auto polled_fds = [&] {
    EXPECT_TRUE(g_main_context_acquire(context));
    gint priority = 0;
    g_main_context_prepare(context, &priority);
    GPollFD fds[64];
    gint timeout = 0;
    const gint n = g_main_context_query(context, G_MAXINT, &timeout, fds, 64);
    g_main_context_check(context, priority, fds, std::min(n, 64));
    g_main_context_dispatch(context);
    g_main_context_release(context);
    return n;
  };
  int opened = 0;
  std::vector<std::shared_ptr<WebSocketClient>> clients;
  auto open_clients = [&](int count) {
    const int target = opened + count;
    for (int i = 0; i < count; ++i) {
      auto options = options_for(ws_url(server.port()));
      options.ping_interval_ms = 60000;  // an armed timer per connection too
      WebSocketClientCallbacks callbacks;
      callbacks.opened = [&] { ++opened; };
      clients.push_back(WebSocketClient::connect(options, std::move(callbacks)));
    }
    const gint64 deadline = g_get_monotonic_time() + kWaitMs * 1000;
    while (opened < target && g_get_monotonic_time() < deadline)
      if (!g_main_context_iteration(context, FALSE)) g_usleep(1000);
    return opened == target;
  };
  ASSERT_TRUE(open_clients(1));
  const int with_one = polled_fds();
  ASSERT_TRUE(open_clients(40));
  const int with_many = polled_fds();
  EXPECT_EQ(with_many, with_one) << "one connection: " << with_one << " fds";
  EXPECT_LE(with_one, 2) << with_one;  // the context's wake-up fd and the epoll set
  for (auto& c : clients) c->close(1000);
  clients.clear();  // they finish their close handshakes on their own
  const gint64 deadline = g_get_monotonic_time() + kWaitMs * 1000;
  while (server.seen().closed < 41 && g_get_monotonic_time() < deadline)
    if (!g_main_context_iteration(context, FALSE)) g_usleep(1000);
  EXPECT_EQ(server.seen().closed, 41);
  for (int i = 0; i < 10; ++i) g_main_context_iteration(context, FALSE);
  g_main_context_pop_thread_default(context);
  g_main_context_unref(context);
}
