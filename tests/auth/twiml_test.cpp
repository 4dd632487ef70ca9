// POST /twilio/voice, the twilio plugin's application webhook (plugins/twilio_src/twilio_webhook.*),
// called as the host calls it (support/webhook_call.hpp).
#include "twilio_webhook.hpp"

#include <mediaflow/protocol/jwt.hpp>
#include <mediaflow/protocol/twilio_signature.hpp>
#include <mediaflow/transport/webhook.hpp>

#include "support/webhook_call.hpp"

#include <glib.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

using mediaflow::protocol::FormParams;
using mediaflow::protocol::JwtStatus;
using mediaflow::protocol::twilio_signature;

namespace {

// The host's configuration of the webhook, and the request and answer, in the terms of these
// tests: handle_voice_webhook() puts them into the transport contract as the host does.
struct WebhookConfig {
  std::string twilio_auth_token;  // the TWILIO_AUTH_TOKEN setting
  std::string public_base_url;    // PUBLIC_BASE_URL
  std::string ws_path = "/rtm/voice";  // the transport's served path
  std::string shared_secret;      // MEDIA_SHARED_SECRET
  std::string static_token;       // MEDIA_AUTH_TOKEN
};
struct WebhookRequest {
  std::string_view path;
  std::string_view raw_query;
  std::string_view host;
  FormParams form;                            // sent form-encoded as the body
  std::optional<std::string_view> signature;  // X-Twilio-Signature
};

std::string form_encode(const FormParams& form) {
  std::string body;
  for (const auto& [k, v] : form) {
    gchar* ek = g_uri_escape_string(k.c_str(), nullptr, FALSE);
    gchar* ev = g_uri_escape_string(v.c_str(), nullptr, FALSE);
    if (!body.empty()) body += '&';
    body.append(ek).append("=").append(ev);
    g_free(ek);
    g_free(ev);
  }
  return body;
}

mediaflow::transport::WebhookAnswer handle_voice_webhook(const WebhookConfig& c, const WebhookRequest& r,
                                                         std::int64_t now) {
  mediaflow::test::WebhookCall call;
  call.path = r.path;
  call.query = r.raw_query;
  call.host = r.host;
  call.body = form_encode(r.form);
  if (r.signature) call.headers.push_back({"X-Twilio-Signature", std::string(*r.signature)});
  call.public_base_url = c.public_base_url;
  call.media_path = c.ws_path;
  call.shared_secret = c.shared_secret;
  call.static_token = c.static_token;
  call.settings["TWILIO_AUTH_TOKEN"] = c.twilio_auth_token;
  call.now_unix = now;
  return mediaflow::test::call_webhook(mediaflow::twilio_transport::answer_webhook, call);
}

}  // namespace

namespace {

constexpr std::int64_t kNow = 1700000000;

// What a real XML parser (GMarkup) reads out of the TwiML.
struct ParsedTwiml {
  std::vector<std::string> elements;  // in document order
  std::string stream_url;
  std::map<std::string, std::string> parameters;
};

ParsedTwiml parse_twiml(const std::string& xml) {
  ParsedTwiml out;
  GMarkupParser parser{};
  parser.start_element = [](GMarkupParseContext*, const gchar* name, const gchar** names,
                            const gchar** values, gpointer data, GError**) {
    auto* p = static_cast<ParsedTwiml*>(data);
    p->elements.emplace_back(name);
    std::map<std::string, std::string> attrs;
    for (int i = 0; names[i] != nullptr; ++i) attrs[names[i]] = values[i];
    if (std::string(name) == "Stream") p->stream_url = attrs["url"];
    if (std::string(name) == "Parameter") p->parameters[attrs["name"]] = attrs["value"];
  };
  // GMarkup does not take the XML declaration: skip it as a processing instruction would be.
  std::string body = xml;
  const std::string decl = R"(<?xml version="1.0" encoding="UTF-8"?>)";
  EXPECT_EQ(body.rfind(decl, 0), 0u) << xml;
  body = body.substr(decl.size());
  GMarkupParseContext* ctx = g_markup_parse_context_new(&parser, G_MARKUP_DEFAULT_FLAGS, &out, nullptr);
  GError* error = nullptr;
  bool ok = g_markup_parse_context_parse(ctx, body.data(), static_cast<gssize>(body.size()), &error) &&
            g_markup_parse_context_end_parse(ctx, &error);
  EXPECT_TRUE(ok) << (error != nullptr ? error->message : "") << "\n" << xml;
  if (error != nullptr) g_error_free(error);
  g_markup_parse_context_free(ctx);
  return out;
}

WebhookConfig config_with_secret() {
  WebhookConfig c;
  c.twilio_auth_token = "12345";
  c.public_base_url = "https://media.example.com/";
  c.shared_secret = "stream-secret";
  return c;
}

// A request as Twilio would send it: signed over public URL + sorted form parameters.
WebhookRequest signed_request(const WebhookConfig& c, FormParams form, std::string_view query,
                              std::string& signature_storage) {
  std::string url = "https://media.example.com/twilio/voice";
  if (!query.empty()) url += "?" + std::string(query);
  signature_storage = twilio_signature(c.twilio_auth_token, url, form);
  WebhookRequest r;
  r.path = "/twilio/voice";
  r.raw_query = query;
  r.host = "10.0.0.5:8080";
  r.form = std::move(form);
  r.signature = signature_storage;
  return r;
}

}  // namespace

TEST(WebhookTwiml, SignedRequestGetsStreamWithFreshJwtAndParameters) {
  auto c = config_with_secret();
  std::string sig;
  auto req = signed_request(c, {{"CallSid", "CA0123"}, {"pipeline", "agent-elevenlabs"},
                                {"organization_id", "org-42"}, {"From", "+15550001111"}},
                            "", sig);
  auto res = handle_voice_webhook(c, req, kNow);
  ASSERT_EQ(res.status, 200) << res.reason;
  EXPECT_EQ(res.content_type, "text/xml");
  auto twiml = parse_twiml(res.body);
  EXPECT_EQ(twiml.elements, (std::vector<std::string>{"Response", "Connect", "Stream", "Parameter", "Parameter"}));
  const std::string prefix = "wss://media.example.com/rtm/voice/jwt/";
  ASSERT_EQ(twiml.stream_url.rfind(prefix, 0), 0u) << twiml.stream_url;
  const std::string token = twiml.stream_url.substr(prefix.size());
  // The token is one this host accepts, and for at most five minutes.
  EXPECT_EQ(mediaflow::protocol::verify_hs256(token, c.shared_secret, kNow), JwtStatus::ok);
  EXPECT_EQ(mediaflow::protocol::verify_hs256(token, c.shared_secret, kNow + 301), JwtStatus::expired);
  EXPECT_EQ(twiml.parameters, (std::map<std::string, std::string>{
                                  {"pipeline", "agent-elevenlabs"}, {"organization_id", "org-42"}}));
}

TEST(WebhookTwiml, ParametersFromQueryAndHostileValuesEscaped) {
  auto c = config_with_secret();
  std::string sig;
  // Twilio signs the query as part of the URL; the form has hostile XML.
  auto req = signed_request(c, {{"organization_id", "\"/><Hangup/><x a=\"&'"}},
                            "pipeline=echo&x=1", sig);
  auto res = handle_voice_webhook(c, req, kNow);
  ASSERT_EQ(res.status, 200) << res.reason;
  auto twiml = parse_twiml(res.body);
  EXPECT_EQ(twiml.parameters["organization_id"], "\"/><Hangup/><x a=\"&'");
  EXPECT_EQ(twiml.parameters["pipeline"], "echo");
  EXPECT_EQ(twiml.elements.size(), 5u) << res.body;  // no injected element
}

TEST(WebhookTwiml, RefusesMissingOrWrongSignatureAndUnconfiguredToken) {
  auto c = config_with_secret();
  std::string sig;
  auto req = signed_request(c, {{"CallSid", "CA0123"}}, "", sig);
  auto missing = req;
  missing.signature.reset();
  EXPECT_EQ(handle_voice_webhook(c, missing, kNow).status, 403);
  EXPECT_EQ(handle_voice_webhook(c, missing, kNow).reason, "missing_signature");
  auto wrong = req;
  wrong.form.emplace_back("pipeline", "smuggled");
  auto res = handle_voice_webhook(c, wrong, kNow);
  EXPECT_EQ(res.status, 403);
  EXPECT_EQ(res.reason, "bad_signature");
  EXPECT_TRUE(res.body.empty());

  auto unconfigured = c;
  unconfigured.twilio_auth_token.clear();
  res = handle_voice_webhook(unconfigured, req, kNow);
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(res.reason, "webhook_not_configured");
}

TEST(WebhookTwiml, ValidatesTwiliosPublishedExampleRequest) {
  const FormParams params{{"CallSid", "CA1234567890ABCDE"}, {"Caller", "+14158675310"},
                          {"Digits", "1234"}, {"From", "+14158675310"}, {"To", "+18005551212"}};
  const std::string url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  EXPECT_EQ(mediaflow::twilio_transport::check_webhook_signature("12345", url, params,
                                                       std::string_view("GvWf1cFY/Q7PnoempGyD5oXAezc=")).status, 200);
  WebhookConfig c;
  c.twilio_auth_token = "12345";
  c.public_base_url = "https://mycompany.com";
  WebhookRequest r{"/myapp.php", "foo=1&bar=2", "internal:8080", params,
                   std::string_view("GvWf1cFY/Q7PnoempGyD5oXAezc=")};
  auto res = handle_voice_webhook(c, r, kNow);
  EXPECT_EQ(res.status, 200) << res.reason;
  // No secret and no static token: a bare stream URL.
  EXPECT_EQ(parse_twiml(res.body).stream_url, "wss://mycompany.com/rtm/voice");
}

TEST(WebhookTwiml, StaticTokenModeAndUrlDerivation) {
  using mediaflow::transport::stream_url;
  EXPECT_EQ(stream_url("https://a.example", "/rtm/voice", ""), "wss://a.example/rtm/voice");
  EXPECT_EQ(stream_url("http://127.0.0.1:8080/", "/rtm/voice", "t"), "ws://127.0.0.1:8080/rtm/voice/jwt/t");
  EXPECT_EQ(stream_url("https://a.example/base", "custom/ws/", "a/b c"),
            "wss://a.example/base/custom/ws/jwt/a%2Fb%20c");

  WebhookConfig c;
  c.twilio_auth_token = "12345";
  c.static_token = "static&token";
  // Without PUBLIC_BASE_URL the Host header is used, over https (TLS ends at the balancer).
  WebhookRequest r{"/twilio/voice", "", "media.example.com", {}, std::nullopt};
  const std::string sig = twilio_signature("12345", "https://media.example.com/twilio/voice", {});
  r.signature = sig;
  auto res = handle_voice_webhook(c, r, kNow);
  ASSERT_EQ(res.status, 200) << res.reason;
  EXPECT_EQ(parse_twiml(res.body).stream_url, "wss://media.example.com/rtm/voice/jwt/static%26token");
}

TEST(WebhookTwiml, ParseFormDecodes) {
  auto form = mediaflow::transport::parse_form("a=1&b=x+y%21&&c&d=%zz");
  ASSERT_EQ(form.size(), 4u);
  EXPECT_EQ(form[0], (std::pair<std::string, std::string>{"a", "1"}));
  EXPECT_EQ(form[1], (std::pair<std::string, std::string>{"b", "x y!"}));
  EXPECT_EQ(form[2], (std::pair<std::string, std::string>{"c", ""}));
  EXPECT_EQ(form[3].first, "d");
}
