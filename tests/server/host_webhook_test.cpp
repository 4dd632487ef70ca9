// Application webhooks are the transports': the host serves POST TransportDescriptor::
// webhook_path for every served transport and answers with its answer_webhook, giving it the
// request and what only the host knows (public base, the transport's media path, stream tokens
// minted with the host's secret, settings). A fixture transport the host has never heard of
// ("acme", tests/fixtures/webhook_transport_plugin.cpp) proves the host needs no knowledge of
// it; the shipped transports' webhooks are then checked through their loaded descriptors.
#include "server/host_fixture.hpp"
#include "support/http_client.hpp"
#include "support/paths.hpp"
#include "support/spawn.hpp"
#include "support/webhook_call.hpp"

#include <mediaflow/metrics.hpp>
#include <mediaflow/plugin_registry.hpp>
#include <mediaflow/protocol/jambonz_signature.hpp>
#include <mediaflow/protocol/jwt.hpp>
#include <mediaflow/server/config.hpp>
#include <mediaflow/server/served_transports.hpp>
#include <mediaflow/transport/webhook.hpp>

#include <json-glib/json-glib.h>

#include <ctime>
#include <string>
#include <vector>

namespace mediaflow::test {
namespace {

std::filesystem::path acme_plugin_dir() { return build_dir() / "tests" / "fixture-transport-plugins"; }

std::string line_of(const std::string& body, const std::string& key) {
  const auto at = body.find(key + "=");
  if (at == std::string::npos) return "<none>";
  const auto start = at + key.size() + 1;
  return body.substr(start, body.find('\n', start) - start);
}

class HostWebhookTest : public HostTest {
 protected:
  void SetUp() override {
    HostTest::SetUp();
    const auto report = load_plugins(acme_plugin_dir());
    ASSERT_TRUE(report.errors.empty()) << report.errors[0].message();
    ASSERT_TRUE(find_transport("acme").has_value());
  }
};

TEST_F(HostWebhookTest, TheHostServesTheWebhookOfATransportItKnowsNothingAbout) {
  config_.media_shared_secret = "shared-secret-for-tests";
  config_.transport_settings["ACME_WEBHOOK_KEY"] = "acme-key";
  ASSERT_NO_FATAL_FAILURE(start_host());
  const auto refused_before = metrics().auth_failures("acme_bad_key").value();

  HttpResponse r = http_request(port(), "POST", "/hooks/acme?campaign=7", {{"X-Acme-Key", "acme-key"}}, "hello",
                                "text/plain");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.headers["content-type"], "text/x-acme");
  EXPECT_EQ(r.headers["x-acme"], "1") << "the handler's own headers reach the caller";
  EXPECT_EQ(r.headers.count("x-bad"), 0u) << "a header that would split the answer is dropped";
  EXPECT_EQ(r.headers.count("set-cookie"), 0u);
  EXPECT_EQ(line_of(r.body, "method"), "POST");
  EXPECT_EQ(line_of(r.body, "path"), "/hooks/acme");
  EXPECT_EQ(line_of(r.body, "query"), "campaign=7");
  EXPECT_EQ(line_of(r.body, "host"), "127.0.0.1:" + std::to_string(port()));
  EXPECT_EQ(line_of(r.body, "body"), "hello");
  EXPECT_EQ(line_of(r.body, "pipeline"), "default");
  // No PUBLIC_BASE_URL: the Host header, over https; the transport's own media path; a token
  // minted with the host's secret that the host then accepts there.
  const std::string url = line_of(r.body, "url");
  const std::string prefix = "wss://127.0.0.1:" + std::to_string(port()) + "/acme/jwt/";
  ASSERT_EQ(url.rfind(prefix, 0), 0u) << url;
  const std::string token = url.substr(prefix.size());
  EXPECT_EQ(protocol::verify_hs256(token, config_.media_shared_secret, std::time(nullptr)), protocol::JwtStatus::ok);
  EXPECT_EQ(protocol::verify_hs256(token, config_.media_shared_secret, std::time(nullptr) + 61),
            protocol::JwtStatus::expired)
      << "the ttl the transport asked for (60 s)";
  RawWebSocket with_token;
  EXPECT_EQ(with_token.connect(port(), "/acme/jwt/" + token), 101);
  RawWebSocket without;
  EXPECT_EQ(without.connect(port(), "/acme"), 401);

  // A refusal is the handler's: its status and body; the host counts its reason.
  r = http_request(port(), "POST", "/hooks/acme", {{"X-Acme-Key", "wrong"}}, "hello", "text/plain");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "no\n");
  EXPECT_EQ(metrics().auth_failures("acme_bad_key").value(), refused_before + 1);
  // Only POST reaches a webhook.
  EXPECT_EQ(http_request(port(), "GET", "/hooks/acme").status, 405);
  EXPECT_EQ(http_request(port(), "POST", "/hooks/acme/more", {{"X-Acme-Key", "acme-key"}}, "x", "text/plain").status,
            404);
}

TEST_F(HostWebhookTest, HealthListsEveryTransportsWebhook) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  HttpResponse r = http_request(port(), "GET", "/health");
  ASSERT_EQ(r.status, 200);
  JsonParser* p = json_parser_new();
  ASSERT_TRUE(json_parser_load_from_data(p, r.body.c_str(), -1, nullptr)) << r.body;
  JsonObject* hooks = json_object_get_object_member(json_node_get_object(json_parser_get_root(p)), "webhooks");
  ASSERT_NE(hooks, nullptr) << r.body;
  EXPECT_STREQ(json_object_get_string_member_with_default(hooks, "acme", ""), "/hooks/acme");
  EXPECT_STREQ(json_object_get_string_member_with_default(hooks, "twilio", ""), "/twilio/voice");
  EXPECT_STREQ(json_object_get_string_member_with_default(hooks, "jambonz", ""), "/jambonz/call");
  g_object_unref(p);
}

TEST_F(HostTest, JambonzCallIsAnsweredByTheJambonzPluginWithAListenVerbTheHostAccepts) {
  config_.media_shared_secret = "shared-secret-for-tests";
  config_.transport_settings["JAMBONZ_WEBHOOK_SECRET"] = "wh_secret_for_tests";
  ASSERT_NO_FATAL_FAILURE(start_host());
  const std::string body = R"({"call_sid":"b6f48929","direction":"inbound"})";
  const std::string sig =
      protocol::jambonz::jambonz_signature_header(body, "wh_secret_for_tests", std::time(nullptr));
  HttpResponse r = http_request(port(), "POST", "/jambonz/call?pipeline=echo", {{"Jambonz-Signature", sig}}, body,
                                "application/json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_NE(r.body.find(R"("verb":"listen")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("pipeline":"echo")"), std::string::npos) << r.body;
  const std::string prefix = "wss://127.0.0.1:" + std::to_string(port()) + "/fork/jwt/";
  const auto at = r.body.find(prefix);
  ASSERT_NE(at, std::string::npos) << r.body;
  const auto start = at + prefix.size();
  const std::string token = r.body.substr(start, r.body.find('"', start) - start);
  RawWebSocket ws;
  EXPECT_EQ(ws.connect(port(), "/fork/jwt/" + token, {{"Sec-WebSocket-Protocol", "audio.jambonz.org"}}), 101);
  // Unsigned: refused by the plugin, counted by the host.
  const auto before = metrics().auth_failures("missing_signature").value();
  EXPECT_EQ(http_request(port(), "POST", "/jambonz/call", {}, body, "application/json").status, 403);
  EXPECT_EQ(metrics().auth_failures("missing_signature").value(), before + 1);
}

// The shipped transports declare their webhooks in their descriptors; the handlers are plain
// functions of request and context.
TEST(TransportWebhooks, TheShippedTransportsDeclareTheirWebhooks) {
  gst_init(nullptr, nullptr);
  load_plugins(plugin_dir());
  const auto twilio = find_transport("twilio");
  ASSERT_TRUE(twilio.has_value());
  ASSERT_NE(twilio->webhook_path, nullptr);
  EXPECT_STREQ(twilio->webhook_path, "/twilio/voice");
  EXPECT_NE(twilio->answer_webhook, nullptr);
  const auto jambonz = find_transport("jambonz");
  ASSERT_TRUE(jambonz.has_value());
  ASSERT_NE(jambonz->webhook_path, nullptr);
  EXPECT_STREQ(jambonz->webhook_path, "/jambonz/call");

  // The jambonz handler, called through its descriptor as the host calls it.
  const std::string body = R"({"call_sid":"c1"})";
  const std::int64_t now = 1765000000;
  const std::string sig = protocol::jambonz::jambonz_signature_header(body, "s3cret", now);
  WebhookCall call;
  call.path = "/jambonz/call";
  call.host = "media.example.com";
  call.body = body;
  call.headers = {{"jambonz-signature", sig}};  // any case
  call.media_path = "/fork";
  call.static_token = "static";
  call.settings = {{"JAMBONZ_WEBHOOK_SECRET", "s3cret"}, {"JAMBONZ_SAMPLE_RATE", "8000"}};
  call.now_unix = now;
  transport::WebhookAnswer answer = call_webhook(jambonz->answer_webhook, call);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_NE(answer.body.find(R"("url":"wss://media.example.com/fork/jwt/static")"), std::string::npos) << answer.body;
  EXPECT_NE(answer.body.find(R"("sampleRate":8000)"), std::string::npos) << answer.body;
  // JAMBONZ_SAMPLE_RATE that is not a number: the webhook says so instead of answering a verb.
  call.settings["JAMBONZ_SAMPLE_RATE"] = "16k";
  answer = call_webhook(jambonz->answer_webhook, call);
  EXPECT_EQ(answer.status, 500);
  EXPECT_EQ(answer.reason, "webhook_misconfigured");
  EXPECT_NE(answer.body.find("JAMBONZ_SAMPLE_RATE"), std::string::npos);
}

// What the host refuses to serve, before it starts.
TEST(TransportWebhooks, AWebhookPathTheHostCannotServeIsRefusedAtStart) {
  transport::WebhookAnswer (*handler)(const transport::WebhookRequest&, const transport::WebhookContext&) =
      [](const transport::WebhookRequest&, const transport::WebhookContext&) { return transport::WebhookAnswer{}; };
  auto transport_with = [&](const char* name, const char* path, const char* hook) {
    return TransportDescriptor{name, "UNSET_TEST_WS_PATH", path, nullptr, nullptr, "a", "b", nullptr, hook, handler, nullptr};
  };
  server::ServerConfig config;
  std::string error;
  EXPECT_FALSE(server::serve_transports({transport_with("a", "/a", "/hooks/a")}, config, &error).empty()) << error;
  EXPECT_TRUE(server::serve_transports({transport_with("a", "/a", "/a/hook")}, config, &error).empty());
  EXPECT_NE(error.find("transport 'a': webhook path '/a/hook' lies on the media path of 'a'"), std::string::npos)
      << error;
  EXPECT_TRUE(server::serve_transports({transport_with("a", "/a", "/b/hook"), transport_with("b", "/b", nullptr)},
                                       config, &error)
                  .empty());
  EXPECT_NE(error.find("transport 'a': webhook path '/b/hook' lies on the media path of 'b'"), std::string::npos)
      << error;
  EXPECT_TRUE(server::serve_transports({transport_with("a", "/a", "/hook"), transport_with("b", "/b", "/hook")},
                                       config, &error)
                  .empty());
  EXPECT_NE(error.find("is also the webhook of"), std::string::npos) << error;
  for (const char* bad : {"/health", "/metrics", "/", "hook"}) {
    EXPECT_TRUE(server::serve_transports({transport_with("a", "/a", bad)}, config, &error).empty()) << bad;
    EXPECT_NE(error.find("is not a path of its own"), std::string::npos) << error;
  }
}


// A jambonz instance whose JAMBONZ_SAMPLE_RATE the listen verb cannot carry would answer every
// call's webhook with an error: it refuses to start instead, naming the setting.
TEST(TransportWebhooks, ABadJambonzSampleRateIsRefusedAtStartNotPerCall) {
  gst_init(nullptr, nullptr);
  load_plugins(plugin_dir());
  const auto jambonz = find_transport("jambonz");
  ASSERT_TRUE(jambonz.has_value());
  ASSERT_NE(jambonz->check_settings, nullptr);
  server::ServerConfig config;
  std::string error;
  for (const char* good : {"8000", "16000", "24000", "48000", "64000"}) {
    config.transport_settings["JAMBONZ_SAMPLE_RATE"] = good;
    EXPECT_FALSE(server::serve_transports({*jambonz}, config, &error).empty()) << good << ": " << error;
  }
  for (const char* bad : {"16k", "17000", "96000", "-8000", "8000 "}) {
    config.transport_settings["JAMBONZ_SAMPLE_RATE"] = bad;
    error.clear();
    EXPECT_TRUE(server::serve_transports({*jambonz}, config, &error).empty()) << bad;
    EXPECT_NE(error.find("transport 'jambonz': JAMBONZ_SAMPLE_RATE: expected one of 8000, 16000"), std::string::npos)
        << error;
  }
  config.transport_settings.erase("JAMBONZ_SAMPLE_RATE");  // unset: 16000
  EXPECT_FALSE(server::serve_transports({*jambonz}, config, &error).empty()) << error;
}

TEST(TransportWebhooks, MediaflowServeExitsAtOnceOnABadJambonzSampleRate) {
  // A host that starts anyway would serve until killed: `timeout` ends it (exit 124).
  const ProcessResult r = run_process({"timeout", "20", mediaflow_binary().string(), "serve"},
                                      {"PORT=0", "PLUGIN_DIR=" + plugin_dir().string(), "JAMBONZ_SAMPLE_RATE=17000"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, 124) << "the host started and served";
  EXPECT_NE(r.err.find("JAMBONZ_SAMPLE_RATE: expected one of"), std::string::npos) << r.err << r.out;
}

}  // namespace
}  // namespace mediaflow::test
