// The host's HTTP/1.1 request parser: one request per connection, strict framing, hard limits,
// and the bytes after the request kept for the WebSocket reader.
#include <mediaflow/protocol/http_request.hpp>
#include <mediaflow/protocol/http_response.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace mediaflow::protocol::http;

namespace {

// Feeds `bytes` in pieces of `chunk` bytes; returns the last status.
ParseStatus feed_in_chunks(RequestParser& p, const std::string& bytes, std::size_t chunk) {
  ParseStatus s = ParseStatus::kNeedMore;
  for (std::size_t i = 0; i < bytes.size(); i += chunk) s = p.feed(std::string_view(bytes).substr(i, chunk));
  return s;
}

unsigned error_of(const std::string& bytes, Limits limits = {}) {
  RequestParser p(limits);
  const auto s = p.feed(bytes);
  return s == ParseStatus::kError ? p.error_status() : 0;
}

}  // namespace

TEST(HttpRequest, ParsesARequestInAnyChunkingWithCaseInsensitiveRepeatedHeaders) {
  const std::string req =
      "GET /rtm/voice?token=a%2Bb&x=1 HTTP/1.1\r\nHost: example.com\r\nUPGRADE: WebSocket\r\n"
      "connection: keep-alive\r\nConnection: Upgrade , other\r\nX-Empty:\r\nX-Pad:  \t v \t\r\n\r\n";
  for (std::size_t chunk : {std::size_t(1), std::size_t(3), std::size_t(17), req.size()}) {
    RequestParser p;
    ASSERT_EQ(feed_in_chunks(p, req, chunk), ParseStatus::kComplete) << chunk;
    const Request& r = p.request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.target, "/rtm/voice?token=a%2Bb&x=1");
    EXPECT_EQ(r.path, "/rtm/voice");
    EXPECT_EQ(r.query, "token=a%2Bb&x=1");
    EXPECT_EQ(r.minor_version, 1u);
    EXPECT_EQ(r.header("host").value_or(""), "example.com");
    EXPECT_EQ(r.header("Upgrade").value_or(""), "WebSocket");
    EXPECT_EQ(r.header_count("CONNECTION"), 2u);
    EXPECT_TRUE(r.header_has_token("Connection", "upgrade"));
    EXPECT_TRUE(r.header_has_token("Connection", "Keep-Alive"));
    EXPECT_FALSE(r.header_has_token("Connection", "close"));
    EXPECT_EQ(r.header_list("connection"), (std::vector<std::string_view>{"keep-alive", "Upgrade", "other"}));
    EXPECT_EQ(r.header("X-Empty").value_or("?"), "");
    EXPECT_EQ(r.header("x-pad").value_or(""), "v");
    EXPECT_FALSE(r.header("Missing").has_value());
    EXPECT_TRUE(p.leftover().empty());
  }
}

TEST(HttpRequest, BytesPipelinedAfterTheHeadAreKeptAsLeftover) {
  const std::string head = "GET /rtm/voice HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string frame("\x81\x85\x01\x02\x03\x04hello", 11);
  RequestParser p;
  ASSERT_EQ(p.feed(head + frame.substr(0, 4)), ParseStatus::kComplete);
  EXPECT_EQ(p.feed(frame.substr(4)), ParseStatus::kComplete);
  EXPECT_EQ(p.leftover(), frame);
  EXPECT_TRUE(p.request().body.empty());
}

TEST(HttpRequest, ContentLengthBodyIsReadAndWhatFollowsIsLeftover) {
  RequestParser p;
  const std::string req = "POST /twilio/voice HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-length: 5\r\n\r\nab";
  ASSERT_EQ(p.feed(req), ParseStatus::kNeedMore);
  EXPECT_TRUE(p.head_complete());
  ASSERT_EQ(p.feed("cdeXYZ"), ParseStatus::kComplete);
  EXPECT_EQ(p.request().body, "abcde");
  EXPECT_EQ(p.leftover(), "XYZ");
}

TEST(HttpRequest, LeadingEmptyLinesAreSkippedAndAbsoluteFormGivesThePath) {
  RequestParser p;
  ASSERT_EQ(p.feed("\r\n\r\nGET http://example.com:8080/health?x HTTP/1.0\r\n\r\n"), ParseStatus::kComplete);
  EXPECT_EQ(p.request().path, "/health");
  EXPECT_EQ(p.request().query, "x");
  EXPECT_EQ(p.request().minor_version, 0u);  // HTTP/1.0 needs no Host
  RequestParser q;
  ASSERT_EQ(q.feed("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"), ParseStatus::kComplete);
  EXPECT_EQ(q.request().path, "/");
}

TEST(HttpRequest, HeadBeyondTheLimitIs431EvenBeforeItEnds) {
  Limits limits;
  limits.max_head_bytes = 1024;
  std::string big = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(2000, 'a');
  RequestParser p(limits);
  EXPECT_EQ(feed_in_chunks(p, big, 100), ParseStatus::kError);  // no blank line yet
  EXPECT_EQ(p.error_status(), 431u);
  EXPECT_EQ(error_of(big + "\r\n\r\n", limits), 431u);
  // Exactly at the limit is fine.
  std::string fits = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
  fits += std::string(1024 - fits.size() - 4, 'b') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), 1024u);
  EXPECT_EQ(error_of(fits, limits), 0u);
  // The default limit is 16 KiB: a 64 KiB header is refused.
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nCookie: " + std::string(64 * 1024, 'c') + "\r\n\r\n"), 431u);
}

TEST(HttpRequest, BodyBeyondTheLimitIs413BeforeItIsRead) {
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 65537\r\n\r\n"), 413u);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n"), 400u);
  RequestParser p;
  EXPECT_EQ(p.feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 65536\r\n\r\n"), ParseStatus::kNeedMore);
}

TEST(HttpRequest, TransferEncodingIsRefusedWith411) {
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), 411u);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\ntransfer-encoding: gzip, chunked\r\n\r\n"), 411u);
}

TEST(HttpRequest, MalformedRequestsAre400) {
  for (const char* bad : {
           "GET / HTTP/1.1\nHost: h\n\n",                   // bare LF
           "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",       // bare CR
           "GET /  HTTP/1.1\r\nHost: h\r\n\r\n",            // two spaces
           "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",            // trailing space
           "GET/ HTTP/1.1\r\nHost: h\r\n\r\n",              // no target
           "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",             // not a token
           "GET / HTTQ/1.1\r\nHost: h\r\n\r\n",             // not HTTP
           "GET / HTTP/1.10\r\nHost: h\r\n\r\n",            // version shape
           "GET relative HTTP/1.1\r\nHost: h\r\n\r\n",      // neither origin nor absolute form
           "GET / HTTP/1.1\r\nHost : h\r\n\r\n",            // space before the colon
           "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",  // obsolete line folding
           "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: h\r\n: empty-name\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01z\r\n\r\n",  // control character
           "GET / HTTP/1.1\r\n\r\n",                        // HTTP/1.1 without Host
           "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",  // two Hosts
           "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n",
       }) {
    RequestParser p;
    EXPECT_EQ(p.feed(bad), ParseStatus::kError) << bad;
    EXPECT_EQ(p.error_status(), 400u) << bad;
    EXPECT_STRNE(p.error_reason(), "") << bad;
  }
  EXPECT_EQ(error_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505u);
}

TEST(HttpRequest, ErrorReasonsNeverQuoteTheRequest) {
  RequestParser p;
  ASSERT_EQ(p.feed("GET /secret-token HTTP/1.1\r\nHost: h\r\nX: secret\x01\r\n\r\n"), ParseStatus::kError);
  EXPECT_EQ(std::string(p.error_reason()).find("secret"), std::string::npos);
}

TEST(HttpResponse, EveryFinalAnswerClosesTheConnectionAndHeadOmitsTheBody) {
  Response r = json_error(404, "not found");
  const std::string wire = serialize(r, "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(wire,
            "HTTP/1.1 404 Not Found\r\nServer: mediaflow\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: application/json\r\nContent-Length: 32\r\nConnection: close\r\n\r\n"
            "{\"ok\":false,\"error\":\"not found\"}");
  const std::string head = serialize(r, "", false);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
  EXPECT_NE(head.find("Content-Length: 32\r\n"), std::string::npos);

  Response upgrade;
  upgrade.status = 101;
  upgrade.headers = {{"Upgrade", "websocket"}};
  EXPECT_EQ(serialize(upgrade, ""), "HTTP/1.1 101 Switching Protocols\r\nServer: mediaflow\r\nUpgrade: websocket\r\n\r\n");
  EXPECT_EQ(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
}

namespace {

TEST(HttpRequest, ABareCrIsRefusedEvenWhenAReadEndsRightAfterIt) {
  const std::string bytes = "GET / HTTP/1.1\r\nHost: h\r\nX-A: b\rc\r\n\r\n";
  for (std::size_t chunk = 1; chunk <= bytes.size(); ++chunk) {
    RequestParser p;
    EXPECT_EQ(feed_in_chunks(p, bytes, chunk), ParseStatus::kError) << "chunk " << chunk;
    EXPECT_EQ(p.error_status(), 400u) << "chunk " << chunk;
  }
}

}  // namespace
