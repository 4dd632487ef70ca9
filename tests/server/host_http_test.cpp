// HTTP surface of the host: status endpoints, metrics, auth before the upgrade in every
// position and mode, the TwiML webhook, and draining.
#include "server/host_fixture.hpp"
#include "support/http_client.hpp"

#include <mediaflow/protocol/jwt.hpp>
#include <mediaflow/protocol/twilio_signature.hpp>

#include <json-glib/json-glib.h>

#include <atomic>
#include <ctime>

namespace mediaflow::test {
namespace {

namespace tw = protocol::twilio;

JsonObject* parse_object(const std::string& body, JsonParser* parser) {
  EXPECT_TRUE(json_parser_load_from_data(parser, body.c_str(), -1, nullptr)) << body;
  return json_node_get_object(json_parser_get_root(parser));
}

TEST_F(HostTest, RootAndHealthDescribeTheService) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  for (const char* path : {"/", "/health"}) {
    HttpResponse r = http_request(port(), "GET", path);
    ASSERT_EQ(r.status, 200) << path;
    JsonParser* p = json_parser_new();
    JsonObject* o = parse_object(r.body, p);
    EXPECT_TRUE(json_object_get_boolean_member(o, "ok"));
    EXPECT_STREQ(json_object_get_string_member(o, "service"), "media");
    EXPECT_STREQ(json_object_get_string_member(o, "wsPath"), "/rtm/voice");
    std::string time = json_object_get_string_member(o, "time");
    GDateTime* t = g_date_time_new_from_iso8601(time.c_str(), nullptr);
    EXPECT_NE(t, nullptr) << time;
    if (t) g_date_time_unref(t);
    EXPECT_EQ(time.back(), 'Z') << "UTC expected: " << time;
    g_object_unref(p);
  }
  EXPECT_EQ(http_request(port(), "GET", "/nope").status, 404);
}

TEST_F(HostTest, MetricsExposeEveryContractNameAndNoCallIdentifiers) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  {
    RawWebSocket ws;
    ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
    ws.send_text(start_message("echo", "CA11111111111111111111111111111111", "MZ11111111111111111111111111111111"));
    send_media(ws, 3, 1, "MZ11111111111111111111111111111111");
    ws.send_text(tw::encode_stop(9, "MZ11111111111111111111111111111111", "AC", "CA"));
    EXPECT_EQ(ws.wait_close(), 1000);
  }
  HttpResponse r = http_request(port(), "GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.headers["content-type"].find("text/plain"), std::string::npos);
  for (const char* name :
       {"mediaflow_calls_active", "mediaflow_calls_total", "mediaflow_frames_in_total",
        "mediaflow_frames_out_total", "mediaflow_frames_dropped_total", "mediaflow_messages_rejected_total",
        "mediaflow_auth_failures_total", "mediaflow_vendor_reconnects_total", "mediaflow_pipeline_errors_total",
        "mediaflow_recordings_total", "mediaflow_frame_latency_seconds_bucket"}) {
    EXPECT_NE(r.body.find(name), std::string::npos) << name;
  }
  EXPECT_NE(r.body.find("mediaflow_calls_total{outcome=\"completed\"}"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("1111111111"), std::string::npos) << "a call identifier leaked into metrics";
}

class HostAuthTest : public HostTest, public ::testing::WithParamInterface<const char*> {
 protected:
  // Connects with `token` in the position under test; returns the HTTP status.
  int connect_with(const std::string& token) {
    RawWebSocket ws;
    const std::string where = GetParam();
    if (where == std::string("path")) return ws.connect(port(), "/rtm/voice/jwt/" + token);
    if (where == std::string("query")) return ws.connect(port(), "/rtm/voice?token=" + token);
    return ws.connect(port(), "/rtm/voice", {{"x-media-auth", token}});
  }
};

TEST_P(HostAuthTest, StaticTokenIsRequiredAndCheckedBeforeTheUpgrade) {
  config_.media_auth_token = "s3cret-token";
  ASSERT_NO_FATAL_FAILURE(start_host());
  const auto failures = metrics().auth_failures("missing_token").value();
  RawWebSocket none;
  EXPECT_EQ(none.connect(port(), "/rtm/voice"), 401);
  EXPECT_EQ(metrics().auth_failures("missing_token").value(), failures + 1);
  EXPECT_EQ(connect_with("wrong-token"), 401);
  EXPECT_EQ(connect_with("s3cret-token"), 101);
}

TEST_P(HostAuthTest, JwtModeAcceptsValidTokensAndRefusesBadOnes) {
  config_.media_shared_secret = "shared-secret-for-tests";
  ASSERT_NO_FATAL_FAILURE(start_host());
  const std::int64_t now = std::time(nullptr);
  EXPECT_EQ(connect_with(protocol::issue_hs256(config_.media_shared_secret, now, 300)), 101);
  EXPECT_EQ(connect_with(protocol::issue_hs256(config_.media_shared_secret, now - 1000, 300)), 401)
      << "expired";
  EXPECT_EQ(connect_with(protocol::issue_hs256("another-secret", now, 300)), 401) << "wrong key";
  // {"alg":"none"} . {"aud":"media","exp":<now+300>} . (no signature)
  std::string payload = "{\"aud\":\"media\",\"exp\":" + std::to_string(now + 300) + "}";
  gchar* p64 = g_base64_encode(reinterpret_cast<const guchar*>(payload.data()), payload.size());
  std::string body(p64);
  g_free(p64);
  for (auto& c : body) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!body.empty() && body.back() == '=') body.pop_back();
  EXPECT_EQ(connect_with("eyJhbGciOiJub25lIn0." + body + "."), 401) << "alg none";
  std::string valid = protocol::issue_hs256(config_.media_shared_secret, now, 300);
  std::string tampered = valid;
  tampered[valid.find('.') + 3] = tampered[valid.find('.') + 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(connect_with(tampered), 401) << "tampered";
}

INSTANTIATE_TEST_SUITE_P(Positions, HostAuthTest, ::testing::Values("path", "query", "header"));

TEST_F(HostTest, WebhookRefusesWhenNotConfiguredAndWhenUnsigned) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  EXPECT_EQ(http_request(port(), "POST", "/twilio/voice", {}, "CallSid=CA1", "application/x-www-form-urlencoded").status, 503);
}

TEST_F(HostTest, WebhookValidatesTheSignatureAndAnswersTwimlWithAStreamToken) {
  config_.transport_settings["TWILIO_AUTH_TOKEN"] = "twilio-auth-token";
  config_.public_base_url = "https://media.example.com";
  config_.media_shared_secret = "shared-secret-for-tests";
  ASSERT_NO_FATAL_FAILURE(start_host());
  const std::string body = "CallSid=CA123&From=%2B15550001&pipeline=echo";
  const std::string ct = "application/x-www-form-urlencoded";
  EXPECT_EQ(http_request(port(), "POST", "/twilio/voice", {}, body, ct).status, 403);
  EXPECT_EQ(http_request(port(), "POST", "/twilio/voice", {{"X-Twilio-Signature", "bm90LXJpZ2h0"}}, body, ct).status, 403);
  const std::string sig = protocol::twilio_signature(
      "twilio-auth-token", "https://media.example.com/twilio/voice",
      {{"CallSid", "CA123"}, {"From", "+15550001"}, {"pipeline", "echo"}});
  HttpResponse r = http_request(port(), "POST", "/twilio/voice", {{"X-Twilio-Signature", sig}}, body, ct);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("<Connect><Stream url=\"wss://media.example.com/rtm/voice/jwt/"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<Parameter name=\"pipeline\" value=\"echo\""), std::string::npos) << r.body;
  // The token in the TwiML is accepted by this host.
  auto start = r.body.find("/jwt/") + 5;
  std::string token = r.body.substr(start, r.body.find('"', start) - start);
  RawWebSocket ws;
  EXPECT_EQ(ws.connect(port(), "/rtm/voice/jwt/" + token), 101);
}

TEST_F(HostTest, DrainTurnsHealth503RefusesNewCallsAndClosesLiveCalls1001) {
  config_.drain_timeout_seconds = 1;
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket live;
  ASSERT_EQ(live.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(live.send_text(start_message("echo")));
  send_media(live, 3, 2);
  ASSERT_TRUE(eventually([&] { return host_->active_calls() == 1; }));

  std::atomic<bool> drained{false};
  host_->begin_drain([&] { drained = true; });
  EXPECT_EQ(http_request(port(), "GET", "/health").status, 503);
  RawWebSocket late;
  ASSERT_EQ(late.connect(port(), "/rtm/voice"), 101);
  EXPECT_EQ(late.wait_close(), 1001);
  EXPECT_FALSE(drained.load()) << "a live call remains";
  // The live call may go on until the drain timeout, then it is closed 1001.
  std::vector<uint8_t> back;
  EXPECT_EQ(read_until_close(live, &back), 1001);
  EXPECT_EQ(back.size(), 3u * 160u) << "audio produced before the close reaches the caller";
  EXPECT_TRUE(eventually([&] { return drained.load(); }));
  EXPECT_EQ(host_->active_calls(), 0u);
}

}  // namespace
}  // namespace mediaflow::test
