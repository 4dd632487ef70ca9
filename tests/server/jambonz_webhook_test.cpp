// POST /jambonz/call: signed webhooks get the listen verb that brings the call to our jambonz
// WebSocket; anything else is refused with a reason.
// The jambonz plugin's handler (plugins/jambonz/jambonz_webhook.*), called as the host calls it.
#include "jambonz_webhook.hpp"

#include <mediaflow/protocol/jambonz_signature.hpp>
#include <mediaflow/protocol/jwt.hpp>
#include <mediaflow/transport/webhook.hpp>

#include "support/webhook_call.hpp"

#include <gtest/gtest.h>
#include <json-glib/json-glib.h>

#include <optional>
#include <string>
#include <vector>

namespace {

namespace jz = mediaflow::protocol::jambonz;
using WebhookResponse = mediaflow::transport::WebhookAnswer;

// The host's configuration of the webhook and the request, in the terms of these tests;
// handle_jambonz_call() puts them into the transport contract as the host does.
struct JambonzWebhookConfig {
  std::string webhook_secret;         // the JAMBONZ_WEBHOOK_SECRET setting
  std::string public_base_url;        // PUBLIC_BASE_URL
  std::string fork_path = "/fork";    // the transport's served path (FORK_WS_PATH)
  std::uint32_t sample_rate = 16000;  // the JAMBONZ_SAMPLE_RATE setting
  std::string shared_secret;          // MEDIA_SHARED_SECRET
  std::string static_token;           // MEDIA_AUTH_TOKEN
};
struct JambonzWebhookRequest {
  std::string_view host;
  std::string_view raw_query;
  std::string_view body;
  std::string_view signature;  // Jambonz-Signature ("" when absent)
};

WebhookResponse handle_jambonz_call(const JambonzWebhookConfig& c, const JambonzWebhookRequest& r, std::int64_t now) {
  mediaflow::test::WebhookCall call;
  call.path = "/jambonz/call";
  call.query = r.raw_query;
  call.host = r.host;
  call.body = r.body;
  if (!r.signature.empty()) call.headers.push_back({"Jambonz-Signature", std::string(r.signature)});
  call.public_base_url = c.public_base_url;
  call.media_path = c.fork_path;
  call.shared_secret = c.shared_secret;
  call.static_token = c.static_token;
  call.settings = {{"JAMBONZ_WEBHOOK_SECRET", c.webhook_secret}, {"JAMBONZ_SAMPLE_RATE", std::to_string(c.sample_rate)}};
  call.now_unix = now;
  return mediaflow::test::call_webhook(mediaflow::jambonz_transport::answer_webhook, call);
}

constexpr std::int64_t kNow = 1765000000;
const std::string kBody = R"({"call_sid":"b6f48929-8e86-4d62-ae3b-64fb574d91f6","from":"+15083084809","direction":"inbound"})";

JambonzWebhookConfig config() {
  JambonzWebhookConfig c;
  c.webhook_secret = "wh_secret_for_tests";
  c.public_base_url = "https://media.example.com";
  c.fork_path = "/fork";
  c.sample_rate = 16000;
  c.shared_secret = "media-shared-secret";
  return c;
}

struct Verb {
  std::string verb, url, mix_type, pipeline, organization;
  gint64 rate = 0, bidi_rate = 0;
  bool streaming = false;
};

Verb first_verb(const std::string& json) {
  Verb v;
  JsonParser* p = json_parser_new();
  EXPECT_TRUE(json_parser_load_from_data(p, json.c_str(), -1, nullptr)) << json;
  JsonArray* verbs = json_node_get_array(json_parser_get_root(p));
  JsonObject* o = json_array_get_object_element(verbs, 0);
  v.verb = json_object_get_string_member(o, "verb");
  v.url = json_object_get_string_member(o, "url");
  v.rate = json_object_get_int_member(o, "sampleRate");
  JsonObject* bidi = json_object_get_object_member(o, "bidirectionalAudio");
  v.streaming = json_object_get_boolean_member(bidi, "streaming");
  v.bidi_rate = json_object_get_int_member(bidi, "sampleRate");
  JsonObject* meta = json_object_get_object_member(o, "metadata");
  v.pipeline = json_object_get_string_member_with_default(meta, "pipeline", "");
  v.organization = json_object_get_string_member_with_default(meta, "organization_id", "");
  g_object_unref(p);
  return v;
}

TEST(JambonzWebhook, ASignedCallGetsAListenVerbToOurWebSocketWithAFreshToken) {
  const std::string sig = jz::jambonz_signature_header(kBody, "wh_secret_for_tests", kNow - 2);
  WebhookResponse r = handle_jambonz_call(
      config(), {.host = "ignored", .raw_query = "pipeline=agent-elevenlabs&organization_id=acme&x=1", .body = kBody,
                 .signature = sig},
      kNow);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  const Verb v = first_verb(r.body);
  EXPECT_EQ(v.verb, "listen");
  const std::string prefix = "wss://media.example.com/fork/jwt/";
  ASSERT_EQ(v.url.rfind(prefix, 0), 0u) << v.url;
  const std::string token = v.url.substr(prefix.size());
  EXPECT_EQ(mediaflow::protocol::verify_hs256(token, "media-shared-secret", kNow), mediaflow::protocol::JwtStatus::ok);
  EXPECT_EQ(v.rate, 16000);
  EXPECT_TRUE(v.streaming) << "without streaming jambonz drops the audio we send";
  EXPECT_EQ(v.bidi_rate, 16000);
  EXPECT_EQ(v.pipeline, "agent-elevenlabs");
  EXPECT_EQ(v.organization, "acme");
}

TEST(JambonzWebhook, UnsignedTamperedStaleOrUnconfiguredWebhooksAreRefused) {
  const std::string sig = jz::jambonz_signature_header(kBody, "wh_secret_for_tests", kNow);
  auto call = [&](const JambonzWebhookConfig& c, std::string_view body, std::string_view signature, std::int64_t now) {
    return handle_jambonz_call(c, {.host = "h", .raw_query = "", .body = body, .signature = signature}, now);
  };
  WebhookResponse missing = call(config(), kBody, "", kNow);
  EXPECT_EQ(missing.status, 403);
  EXPECT_EQ(missing.reason, "missing_signature");
  WebhookResponse tampered = call(config(), kBody + " ", sig, kNow);
  EXPECT_EQ(tampered.status, 403);
  EXPECT_EQ(tampered.reason, "bad_signature");
  WebhookResponse stale = call(config(), kBody, sig, kNow + 3600);
  EXPECT_EQ(stale.status, 403);
  EXPECT_EQ(stale.reason, "stale_signature");
  JambonzWebhookConfig no_secret = config();
  no_secret.webhook_secret.clear();
  WebhookResponse unconfigured = call(no_secret, kBody, sig, kNow);
  EXPECT_EQ(unconfigured.status, 503);
  EXPECT_EQ(unconfigured.reason, "webhook_not_configured");
  for (const auto* r : {&missing, &tampered, &stale, &unconfigured}) EXPECT_EQ(r->body.find("listen"), std::string::npos);
}

TEST(JambonzWebhook, ARateJambonzCannotListenAtIsARefusalNotAVerb) {
  JambonzWebhookConfig c = config();
  c.sample_rate = 32000;
  const std::string sig = jz::jambonz_signature_header(kBody, "wh_secret_for_tests", kNow);
  WebhookResponse r = handle_jambonz_call(c, {.host = "h", .raw_query = "", .body = kBody, .signature = sig}, kNow);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.reason, "bad_listen_verb");
}

}  // namespace
