// The verb array `POST /jambonz/call` answers with: its exact bytes, the shape jambonz reads, what
// is refused, and the metadata surviving jambonz's merge into the first WebSocket frame.
#include <mediaflow/protocol/jambonz_listen_verb.hpp>
#include <mediaflow/protocol/jambonz_metadata.hpp>

#include <gtest/gtest.h>
#include <json-glib/json-glib.h>

#include <memory>
#include <string>

namespace jz = mediaflow::protocol::jambonz;

namespace {

jz::ListenVerbOptions typical() {
  jz::ListenVerbOptions o;
  o.url = "wss://media.example.com/jambonz/ws?token=eyJhbGciOiJIUzI1NiJ9.e30.sig";
  o.sample_rate = 16000;
  o.metadata = {{"pipeline", "agent-elevenlabs"}, {"organization_id", "acme"}};
  return o;
}

struct ParserDeleter {
  void operator()(JsonParser* p) const { g_object_unref(p); }
};
using Parser = std::unique_ptr<JsonParser, ParserDeleter>;

// The verb object of a one-verb array, parsed by json-glib (not by our own code).
JsonObject* only_verb(const Parser& parser, const std::string& json) {
  GError* error = nullptr;
  if (!json_parser_load_from_data(parser.get(), json.c_str(), static_cast<gssize>(json.size()), &error)) {
    ADD_FAILURE() << "not JSON: " << (error ? error->message : "?") << " in " << json;
    g_clear_error(&error);
    return nullptr;
  }
  JsonNode* root = json_parser_get_root(parser.get());
  if (!JSON_NODE_HOLDS_ARRAY(root) || json_array_get_length(json_node_get_array(root)) != 1) {
    ADD_FAILURE() << "not an array of one verb: " << json;
    return nullptr;
  }
  return json_array_get_object_element(json_node_get_array(root), 0);
}

}  // namespace

TEST(JambonzListenVerb, IsExactlyTheArrayJambonzExpects) {
  const auto verbs = jz::build_listen_verbs(typical());
  ASSERT_TRUE(verbs.ok()) << verbs.error;
  EXPECT_EQ(verbs.json,
            R"([{"verb":"listen","url":"wss://media.example.com/jambonz/ws?token=eyJhbGciOiJIUzI1NiJ9.e30.sig",)"
            R"("mixType":"mono","sampleRate":16000,)"
            R"("bidirectionalAudio":{"enabled":true,"streaming":true,"sampleRate":16000},)"
            R"("metadata":{"organization_id":"acme","pipeline":"agent-elevenlabs"}}])");
}

TEST(JambonzListenVerb, HasTheShapeOfTheDocumentedVerb) {
  auto o = typical();
  o.action_hook = "https://media.example.com/jambonz/listen-ended";
  o.pass_dtmf = true;
  const auto verbs = jz::build_listen_verbs(o);
  ASSERT_TRUE(verbs.ok()) << verbs.error;
  Parser parser(json_parser_new());
  JsonObject* verb = only_verb(parser, verbs.json);
  ASSERT_NE(verb, nullptr);
  EXPECT_STREQ(json_object_get_string_member(verb, "verb"), "listen");
  EXPECT_EQ(json_object_get_string_member(verb, "url"), o.url);
  EXPECT_EQ(json_object_get_string_member(verb, "actionHook"), o.action_hook);
  EXPECT_STREQ(json_object_get_string_member(verb, "mixType"), "mono");
  EXPECT_EQ(json_object_get_int_member(verb, "sampleRate"), 16000);
  EXPECT_TRUE(json_object_get_boolean_member(verb, "passDtmf"));
  JsonObject* bidi = json_object_get_object_member(verb, "bidirectionalAudio");
  ASSERT_NE(bidi, nullptr);
  EXPECT_TRUE(json_object_get_boolean_member(bidi, "enabled"));
  EXPECT_TRUE(json_object_get_boolean_member(bidi, "streaming"));
  EXPECT_EQ(json_object_get_int_member(bidi, "sampleRate"), 16000);
  EXPECT_EQ(json_object_get_size(bidi), 3u);
  JsonObject* metadata = json_object_get_object_member(verb, "metadata");
  ASSERT_NE(metadata, nullptr);
  EXPECT_STREQ(json_object_get_string_member(metadata, "pipeline"), "agent-elevenlabs");
  EXPECT_STREQ(json_object_get_string_member(metadata, "organization_id"), "acme");
  EXPECT_EQ(json_object_get_size(verb), 8u);
}

TEST(JambonzListenVerb, LeavesOutWhatIsNotAsked) {
  auto o = typical();
  o.metadata.clear();
  const auto verbs = jz::build_listen_verbs(o);
  ASSERT_TRUE(verbs.ok()) << verbs.error;
  EXPECT_EQ(verbs.json.find("actionHook"), std::string::npos);
  EXPECT_EQ(verbs.json.find("passDtmf"), std::string::npos);
  EXPECT_NE(verbs.json.find(R"("metadata":{}})"), std::string::npos) << verbs.json;
}

TEST(JambonzListenVerb, TakesEveryAllowedRateForBothDirections) {
  for (const std::uint32_t rate : {8000u, 16000u, 24000u, 48000u, 64000u}) {
    auto o = typical();
    o.sample_rate = rate;
    const auto verbs = jz::build_listen_verbs(o);
    ASSERT_TRUE(verbs.ok()) << rate << ": " << verbs.error;
    const std::string r = std::to_string(rate);
    EXPECT_NE(verbs.json.find("\"mixType\":\"mono\",\"sampleRate\":" + r + ","), std::string::npos) << verbs.json;
    EXPECT_NE(verbs.json.find("\"streaming\":true,\"sampleRate\":" + r + "}"), std::string::npos) << verbs.json;
  }
  for (const std::uint32_t rate : {0u, 11025u, 22050u, 32000u, 44100u}) {
    auto o = typical();
    o.sample_rate = rate;
    const auto verbs = jz::build_listen_verbs(o);
    EXPECT_FALSE(verbs.ok()) << rate;
    EXPECT_TRUE(verbs.json.empty());
  }
}

TEST(JambonzListenVerb, RefusesAUrlThatIsNotAWebSocket) {
  for (const std::string& url : {std::string(""), std::string("wss://"), std::string("https://media.example.com/ws"),
                                std::string("WSS://media.example.com/ws"), std::string("media.example.com/ws"),
                                "wss://media.example.com/" + std::string(jz::kMaxListenUrlBytes, 'a')}) {
    auto o = typical();
    o.url = url;
    EXPECT_FALSE(jz::build_listen_verbs(o).ok()) << url;
  }
  auto o = typical();
  o.url = "ws://127.0.0.1:8080/jambonz/ws/TOKEN";
  EXPECT_TRUE(jz::build_listen_verbs(o).ok());
}

TEST(JambonzListenVerb, RefusesMetadataKeysThatWouldOverrideTheCallsAttributes) {
  // jambonz builds the frame as Object.assign({sampleRate, mixType}, callInfo, metadata).
  for (const char* key : {"callSid", "from", "to", "direction", "sampleRate", "mixType"}) {
    auto o = typical();
    o.metadata[key] = "x";
    const auto verbs = jz::build_listen_verbs(o);
    EXPECT_FALSE(verbs.ok()) << key;
    EXPECT_NE(std::string(verbs.error), "");
  }
}

TEST(JambonzListenVerb, BoundsTheMetadata) {
  auto o = typical();
  o.metadata = {{"k", std::string(jz::kMaxListenMetadataBytes - 8, 'v')}};  // {"k":"…"} = size + 8
  EXPECT_TRUE(jz::build_listen_verbs(o).ok());
  o.metadata = {{"k", std::string(jz::kMaxListenMetadataBytes - 7, 'v')}};
  EXPECT_FALSE(jz::build_listen_verbs(o).ok());
}

TEST(JambonzListenVerb, EscapesStrings) {
  auto o = typical();
  o.metadata = {{"note", "say \"hi\"\n\\ \x01"}};
  const auto verbs = jz::build_listen_verbs(o);
  ASSERT_TRUE(verbs.ok()) << verbs.error;
  EXPECT_NE(verbs.json.find(R"("note":"say \"hi\"\n\\ \u0001")"), std::string::npos) << verbs.json;
  Parser parser(json_parser_new());
  JsonObject* verb = only_verb(parser, verbs.json);
  ASSERT_NE(verb, nullptr);
  EXPECT_EQ(json_object_get_string_member(json_object_get_object_member(verb, "metadata"), "note"), o.metadata["note"]);
}

TEST(JambonzListenVerb, ItsMetadataArrivesAsParamsOfTheFirstFrame) {
  const auto verbs = jz::build_listen_verbs(typical());
  ASSERT_TRUE(verbs.ok()) << verbs.error;
  Parser parser(json_parser_new());
  JsonObject* verb = only_verb(parser, verbs.json);
  ASSERT_NE(verb, nullptr);

  // jambonz's merge, done with json-glib: {sampleRate, mixType} + call attributes + metadata.
  JsonObject* merged = json_object_new();
  json_object_set_int_member(merged, "sampleRate", json_object_get_int_member(verb, "sampleRate"));
  json_object_set_string_member(merged, "mixType", json_object_get_string_member(verb, "mixType"));
  json_object_set_string_member(merged, "callSid", "b7d4c3a2-0f1e-4d5c-9b8a-7e6f5d4c3b2a");
  json_object_set_string_member(merged, "direction", "inbound");
  json_object_set_string_member(merged, "from", "+15551234567");
  json_object_set_string_member(merged, "to", "+15557654321");
  JsonObject* metadata = json_object_get_object_member(verb, "metadata");
  GList* keys = json_object_get_members(metadata);
  for (GList* k = keys; k; k = k->next) {
    const char* key = static_cast<const char*>(k->data);
    json_object_set_member(merged, key, json_node_copy(json_object_get_member(metadata, key)));
  }
  g_list_free(keys);
  JsonNode* node = json_node_init_object(json_node_alloc(), merged);
  gchar* text = json_to_string(node, FALSE);
  json_node_unref(node);
  json_object_unref(merged);
  const std::string frame = text;
  g_free(text);

  const auto r = jz::read_call_metadata(frame);
  ASSERT_TRUE(r.ok()) << r.error << " in " << frame;
  EXPECT_EQ(r.metadata.sample_rate, 16000u);
  EXPECT_EQ(r.metadata.channels, 1u);
  EXPECT_EQ(r.metadata.params, typical().metadata);
}
