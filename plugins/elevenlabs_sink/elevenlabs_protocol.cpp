#include "elevenlabs_protocol.hpp"

#include <mediaflow/protocol/json_depth.hpp>
#include <mediaflow/protocol/json_number.hpp>
#include <mediaflow/protocol/twilio_envelope.hpp>  // decode_base64: strict, allocation-free
#include <mediaflow/protocol/url_query.hpp>

#include <json-glib/json-glib.h>
#include <simdjson.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

namespace mediaflow::elevenlabs {
namespace {

struct ParserDeleter {
  void operator()(JsonParser* p) const { g_object_unref(p); }
};

std::string with_param(std::string_view base, const char* name, std::string_view value) {
  std::string url(base);
  mediaflow::protocol::append_query_param(url, name, value);
  return url;
}

std::string generate(JsonBuilder* builder) {
  JsonNode* root = json_builder_get_root(builder);
  JsonGenerator* gen = json_generator_new();
  json_generator_set_root(gen, root);
  gchar* text = json_generator_to_data(gen, nullptr);
  std::string out(text);
  g_free(text);
  g_object_unref(gen);
  json_node_unref(root);
  g_object_unref(builder);
  return out;
}

JsonObject* member_object(JsonObject* o, const char* name) {
  JsonNode* n = o ? json_object_get_member(o, name) : nullptr;
  return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr;
}

std::optional<std::string> member_string(JsonObject* o, const char* name) {
  JsonNode* n = o ? json_object_get_member(o, name) : nullptr;
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) return std::nullopt;
  return std::string(json_node_get_string(n));
}

std::string member_string_or(JsonObject* o, const char* name) { return member_string(o, name).value_or(""); }

// Event ids are non-negative integers; some clients send them as strings. Anything that is not
// one that fits in 64 bits (4e85, -1, 1.5e300, "-3") is no id.
std::optional<std::uint64_t> member_uint(JsonObject* o, const char* name) {
  JsonNode* n = o ? json_object_get_member(o, name) : nullptr;
  if (!n || !JSON_NODE_HOLDS_VALUE(n)) return std::nullopt;
  if (json_node_get_value_type(n) == G_TYPE_STRING) {
    const char* s = json_node_get_string(n);
    if (!g_ascii_isdigit(*s)) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(s, &end, 10);
    if (*end || errno == ERANGE) return std::nullopt;
    return v;
  }
  return mediaflow::protocol::json_integer<std::uint64_t>(n);
}

double member_double(JsonObject* o, const char* name) {
  JsonNode* n = o ? json_object_get_member(o, name) : nullptr;
  if (!n || !JSON_NODE_HOLDS_VALUE(n)) return 0;
  const GType t = json_node_get_value_type(n);
  return t == G_TYPE_DOUBLE || t == G_TYPE_INT64 ? json_node_get_double(n) : 0;
}

ServerMessage malformed(std::string type, const char* what) { return Malformed{type + ": " + what}; }

void add_typed_value(JsonBuilder* b, const std::string& v) {
  if (v == "true" || v == "false") {
    json_builder_add_boolean_value(b, v == "true");
    return;
  }
  if (!v.empty() && v.size() < 19) {
    char* end = nullptr;
    const long long i = std::strtoll(v.c_str(), &end, 10);
    // No leading zeros ("007" stays a string: phone numbers, ids).
    const bool plain = !(v.size() > 1 && v[0] == '0') && !(v.size() > 2 && v[0] == '-' && v[1] == '0');
    if (!*end && plain && v != "-") {
      json_builder_add_int_value(b, i);
      return;
    }
    const double d = g_ascii_strtod(v.c_str(), &end);
    if (!*end && plain && v.find_first_of("eEnNiI") == std::string::npos && v != "-" && v != "." ) {
      json_builder_add_double_value(b, d);
      return;
    }
  }
  json_builder_add_string_value(b, v.c_str());
}

std::string trim(std::string_view s) {
  while (!s.empty() && g_ascii_isspace(s.front())) s.remove_prefix(1);
  while (!s.empty() && g_ascii_isspace(s.back())) s.remove_suffix(1);
  return std::string(s);
}

// The `audio` event is the one message that comes every 20 ms for as long as the agent talks.
// A json-glib tree per message (GObject parser, a node and a hash table per object, a copy of
// every string, g_base64_decode's own buffer) cost ~9k instructions per frame (session 7,
// docs/benchmarks.md); this reads its usual shape with one simdjson DOM parser per thread (tape
// reused, nothing allocated per message once grown) and decodes the base64 straight into the
// event's bytes. Anything else, or anything unusual about it (a duplicate key, a number that is
// not a plain int64/double, base64 that the strict decoder refuses, nesting deeper than the
// parser's 16 levels, which json_nesting_beyond would not refuse at 32), returns nullopt and
// goes through the json-glib parser below, so every message parses exactly as before.
std::optional<ServerMessage> parse_audio_fast(std::string_view text) {
  namespace dom = simdjson::dom;
  constexpr std::size_t kFastMaxDepth = 16;  // < kMaxVendorJsonDepth: deeper goes the slow way
  static_assert(kFastMaxDepth < mediaflow::protocol::kMaxVendorJsonDepth);
  thread_local dom::parser parser = [] {
    dom::parser p;
    if (p.allocate(4096, kFastMaxDepth)) return dom::parser{};  // out of memory: parse() allocates
    return p;
  }();
  if (parser.max_depth() != kFastMaxDepth) return std::nullopt;
  dom::element doc;
  dom::object root;
  if (parser.parse(text.data(), text.size()).get(doc) || doc.get_object().get(root)) return std::nullopt;
  std::string_view type;
  dom::object event;
  bool has_type = false, has_event = false;
  for (const auto [key, value] : root) {
    if (key == "type") {
      if (has_type || value.get_string().get(type)) return std::nullopt;
      has_type = true;
    } else if (key == "audio_event") {
      if (has_event || value.get_object().get(event)) return std::nullopt;
      has_event = true;
    }
  }
  if (!has_type || type != "audio" || !has_event) return std::nullopt;
  std::string_view b64;
  bool has_audio = false, has_id = false;
  std::optional<std::uint64_t> id;
  for (const auto [key, value] : event) {
    if (key == "audio_base_64") {
      if (has_audio || value.get_string().get(b64)) return std::nullopt;
      has_audio = true;
    } else if (key == "event_id") {
      if (has_id) return std::nullopt;
      has_id = true;
      if (value.is_int64()) id = mediaflow::protocol::checked_integer<std::uint64_t>(std::int64_t(value));
      else if (value.is_double()) id = mediaflow::protocol::checked_integer<std::uint64_t>(double(value));
      else return std::nullopt;  // strings, big unsigned, anything else: the slow path decides
    }
  }
  if (!has_audio) return std::nullopt;
  Audio a;
  a.event_id = id.value_or(0);
  a.data.resize(mediaflow::protocol::twilio::base64_decoded_max(b64.size()));
  const auto n = mediaflow::protocol::twilio::decode_base64(b64, a.data);
  if (!n) return std::nullopt;  // g_base64_decode is lenient: let it decide
  a.data.resize(*n);
  return a;
}

}  // namespace

std::string build_conversation_url(std::string_view ws_base, std::string_view agent_id) {
  return with_param(ws_base, "agent_id", agent_id);
}

std::string build_signed_url_request(std::string_view api_base, std::string_view agent_id) {
  std::string base(api_base);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return with_param(base + "/v1/convai/conversation/get-signed-url", "agent_id", agent_id);
}

std::optional<std::string> parse_signed_url_response(std::string_view body) {
  if (mediaflow::protocol::json_nesting_beyond(body, mediaflow::protocol::kMaxVendorJsonDepth)) return std::nullopt;
  std::unique_ptr<JsonParser, ParserDeleter> parser(json_parser_new());
  if (!json_parser_load_from_data(parser.get(), body.data(), static_cast<gssize>(body.size()), nullptr))
    return std::nullopt;
  JsonNode* root = json_parser_get_root(parser.get());
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) return std::nullopt;
  auto url = member_string(json_node_get_object(root), "signed_url");
  if (!url || url->empty()) return std::nullopt;
  return url;
}

std::optional<AudioFormat> parse_audio_format(std::string_view name) {
  if (name == "ulaw_8000") return AudioFormat{AudioEncoding::kMulaw, 8000};
  static constexpr int kPcmRates[] = {8000, 16000, 22050, 24000, 44100, 48000};
  for (int rate : kPcmRates)
    if (name == "pcm_" + std::to_string(rate)) return AudioFormat{AudioEncoding::kPcm16, rate};
  return std::nullopt;
}

std::string audio_format_name(const AudioFormat& format) {
  return (format.encoding == AudioEncoding::kMulaw ? "ulaw_" : "pcm_") + std::to_string(format.rate);
}

std::string encode_user_audio_chunk(std::span<const std::uint8_t> audio) {
  gchar* b64 = g_base64_encode(audio.data(), audio.size());
  std::string out = "{\"user_audio_chunk\":\"";
  out += b64;
  out += "\"}";
  g_free(b64);
  return out;
}

std::string encode_pong(std::uint64_t event_id) {
  return "{\"type\":\"pong\",\"event_id\":" + std::to_string(event_id) + "}";
}

std::string encode_initiation(const InitiationData& data) {
  JsonBuilder* b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, "conversation_initiation_client_data");
  if (!data.first_message.empty() || !data.language.empty()) {
    json_builder_set_member_name(b, "conversation_config_override");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "agent");
    json_builder_begin_object(b);
    if (!data.first_message.empty()) {
      json_builder_set_member_name(b, "first_message");
      json_builder_add_string_value(b, data.first_message.c_str());
    }
    if (!data.language.empty()) {
      json_builder_set_member_name(b, "language");
      json_builder_add_string_value(b, data.language.c_str());
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
  }
  json_builder_set_member_name(b, "dynamic_variables");
  json_builder_begin_object(b);
  for (const auto& [k, v] : data.dynamic_variables) {
    json_builder_set_member_name(b, k.c_str());
    add_typed_value(b, v);
  }
  json_builder_end_object(b);
  json_builder_end_object(b);
  return generate(b);
}

std::string encode_contextual_update(std::string_view text) {
  JsonBuilder* b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, "contextual_update");
  json_builder_set_member_name(b, "text");
  json_builder_add_string_value(b, std::string(text).c_str());
  json_builder_end_object(b);
  return generate(b);
}

std::string encode_user_activity() { return R"({"type":"user_activity"})"; }

std::string encode_client_tool_result(std::string_view tool_call_id, std::string_view result, bool is_error) {
  JsonBuilder* b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, "client_tool_result");
  json_builder_set_member_name(b, "tool_call_id");
  json_builder_add_string_value(b, std::string(tool_call_id).c_str());
  json_builder_set_member_name(b, "result");
  json_builder_add_string_value(b, std::string(result).c_str());
  json_builder_set_member_name(b, "is_error");
  json_builder_add_boolean_value(b, is_error);
  json_builder_end_object(b);
  return generate(b);
}

std::map<std::string, std::string> parse_variable_list(std::string_view text, std::vector<std::string>* bad) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const auto semi = text.find(';');
    std::string_view pair = text.substr(0, semi);
    text = semi == std::string_view::npos ? std::string_view() : text.substr(semi + 1);
    if (trim(pair).empty()) continue;
    const auto eq = pair.find('=');
    const std::string key = eq == std::string_view::npos ? std::string() : trim(pair.substr(0, eq));
    if (key.empty()) {
      if (bad) bad->push_back(trim(pair));
      continue;
    }
    out[key] = trim(pair.substr(eq + 1));
  }
  return out;
}

ServerMessage parse_server_message(std::string_view text) {
  if (auto audio = parse_audio_fast(text)) return std::move(*audio);
  // json-glib recurses per level: a hostile endpoint's deep nesting is refused before it runs.
  if (mediaflow::protocol::json_nesting_beyond(text, mediaflow::protocol::kMaxVendorJsonDepth))
    return Malformed{"JSON nested deeper than " + std::to_string(mediaflow::protocol::kMaxVendorJsonDepth)};
  std::unique_ptr<JsonParser, ParserDeleter> parser(json_parser_new());
  if (!json_parser_load_from_data(parser.get(), text.data(), static_cast<gssize>(text.size()), nullptr))
    return Malformed{"not JSON"};
  JsonNode* root = json_parser_get_root(parser.get());
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) return Malformed{"not a JSON object"};
  JsonObject* o = json_node_get_object(root);
  auto type_opt = member_string(o, "type");
  if (!type_opt) return Malformed{"no \"type\""};
  const std::string& type = *type_opt;

  if (type == "audio") {
    JsonObject* e = member_object(o, "audio_event");
    auto b64 = member_string(e, "audio_base_64");
    if (!b64) return malformed(type, "no audio_event.audio_base_64");
    Audio a;
    a.event_id = member_uint(e, "event_id").value_or(0);
    gsize n = 0;
    guchar* raw = g_base64_decode(b64->c_str(), &n);
    a.data.assign(raw, raw + n);
    g_free(raw);
    return a;
  }
  if (type == "ping") {
    JsonObject* e = member_object(o, "ping_event");
    auto id = member_uint(e, "event_id");
    if (!id) return malformed(type, "no ping_event.event_id");
    return Ping{*id, member_uint(e, "ping_ms").value_or(0)};
  }
  if (type == "interruption") {
    auto id = member_uint(member_object(o, "interruption_event"), "event_id");
    if (!id) return malformed(type, "no interruption_event.event_id");
    return Interruption{*id};
  }
  if (type == "conversation_initiation_metadata") {
    JsonObject* e = member_object(o, "conversation_initiation_metadata_event");
    if (!e) return malformed(type, "no conversation_initiation_metadata_event");
    InitiationMetadata m;
    m.conversation_id = member_string_or(e, "conversation_id");
    m.agent_output_name = member_string_or(e, "agent_output_audio_format");
    m.user_input_name = member_string_or(e, "user_input_audio_format");
    m.agent_output = parse_audio_format(m.agent_output_name);
    m.user_input = parse_audio_format(m.user_input_name);
    return m;
  }
  if (type == "agent_response")
    return AgentResponse{member_string_or(member_object(o, "agent_response_event"), "agent_response")};
  if (type == "agent_response_correction") {
    JsonObject* e = member_object(o, "agent_response_correction_event");
    return AgentResponseCorrection{member_string_or(e, "original_agent_response"),
                                   member_string_or(e, "corrected_agent_response")};
  }
  if (type == "user_transcript")
    return UserTranscript{member_string_or(member_object(o, "user_transcription_event"), "user_transcript")};
  if (type == "vad_score") return VadScore{member_double(member_object(o, "vad_score_event"), "vad_score")};
  if (type == "client_tool_call") {
    JsonObject* e = member_object(o, "client_tool_call");
    ClientToolCall c;
    c.tool_name = member_string_or(e, "tool_name");
    c.tool_call_id = member_string_or(e, "tool_call_id");
    c.parameters_json = "{}";
    if (JsonNode* p = e ? json_object_get_member(e, "parameters") : nullptr) {
      gchar* s = json_to_string(p, FALSE);
      c.parameters_json = s;
      g_free(s);
    }
    return c;
  }
  if (type == "error") {
    JsonObject* e = member_object(o, "error_event");
    ServerError err;
    err.code = static_cast<int>(member_uint(e, "code").value_or(0));
    err.message = member_string_or(e, "message");
    err.error_type = member_string_or(e, "error_type");
    return err;
  }
  return Unknown{type};
}

}  // namespace mediaflow::elevenlabs
