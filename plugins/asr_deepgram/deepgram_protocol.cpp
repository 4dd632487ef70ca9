#include "deepgram_protocol.hpp"

#include <mediaflow/protocol/json_depth.hpp>
#include <mediaflow/protocol/json_number.hpp>
#include <mediaflow/protocol/url_query.hpp>

#include <json-glib/json-glib.h>

namespace mediaflow::deepgram {
namespace {

const char* boolean(bool b) { return b ? "true" : "false"; }

double member_double(JsonObject* o, const char* name, double fallback = 0) {
  JsonNode* n = json_object_get_member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n)) return fallback;
  const GType t = json_node_get_value_type(n);
  if (t == G_TYPE_DOUBLE || t == G_TYPE_INT64) return json_node_get_double(n);
  return fallback;
}

bool member_bool(JsonObject* o, const char* name) {
  JsonNode* n = json_object_get_member(o, name);
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
         json_node_get_boolean(n);
}

std::string member_string(JsonObject* o, const char* name) {
  JsonNode* n = json_object_get_member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) return {};
  return json_node_get_string(n);
}

// Deepgram gives channels as [index, count] ("channel_index" on Results, "channel" on
// UtteranceEnd/SpeechStarted).
int first_index(JsonObject* o, const char* name) {
  JsonNode* n = json_object_get_member(o, name);
  if (!n || !JSON_NODE_HOLDS_ARRAY(n)) return 0;
  JsonArray* a = json_node_get_array(n);
  if (json_array_get_length(a) == 0) return 0;
  JsonNode* first = json_array_get_element(a, 0);
  if (!JSON_NODE_HOLDS_VALUE(first) || json_node_get_value_type(first) != G_TYPE_INT64) return 0;
  return protocol::json_integer<int>(first).value_or(0);
}

Results parse_results(JsonObject* o) {
  Results r;
  r.channel = first_index(o, "channel_index");
  r.start = member_double(o, "start");
  r.duration = member_double(o, "duration");
  r.is_final = member_bool(o, "is_final");
  r.speech_final = member_bool(o, "speech_final");
  r.from_finalize = member_bool(o, "from_finalize");
  JsonNode* ch = json_object_get_member(o, "channel");
  if (!ch || !JSON_NODE_HOLDS_OBJECT(ch)) return r;
  JsonNode* alts = json_object_get_member(json_node_get_object(ch), "alternatives");
  if (!alts || !JSON_NODE_HOLDS_ARRAY(alts) || json_array_get_length(json_node_get_array(alts)) == 0)
    return r;
  JsonNode* best = json_array_get_element(json_node_get_array(alts), 0);
  if (!JSON_NODE_HOLDS_OBJECT(best)) return r;
  JsonObject* alt = json_node_get_object(best);
  r.transcript = member_string(alt, "transcript");
  r.confidence = member_double(alt, "confidence");
  JsonNode* words = json_object_get_member(alt, "words");
  if (!words || !JSON_NODE_HOLDS_ARRAY(words)) return r;
  JsonArray* wa = json_node_get_array(words);
  for (guint i = 0; i < json_array_get_length(wa); ++i) {
    JsonNode* wn = json_array_get_element(wa, i);
    if (!JSON_NODE_HOLDS_OBJECT(wn)) continue;
    JsonObject* wo = json_node_get_object(wn);
    Word w;
    w.word = member_string(wo, "word");
    w.start = member_double(wo, "start");
    w.end = member_double(wo, "end");
    w.confidence = member_double(wo, "confidence");
    if (json_object_has_member(wo, "punctuated_word"))
      w.punctuated_word = member_string(wo, "punctuated_word");
    r.words.push_back(std::move(w));
  }
  return r;
}

}  // namespace

std::string build_listen_url(std::string_view base, const ListenOptions& o) {
  std::string url(base);
  const auto add_param = [&url](const char* name, std::string_view value) {
    protocol::append_query_param(url, name, value);
  };
  add_param("encoding", o.encoding == Encoding::kMulaw ? "mulaw" : "linear16");
  add_param("sample_rate", std::to_string(o.sample_rate));
  add_param("channels", std::to_string(o.channels));
  if (!o.model.empty()) add_param("model", o.model);
  if (!o.language.empty()) add_param("language", o.language);
  add_param("interim_results", boolean(o.interim_results));
  add_param("endpointing",
            o.endpointing_ms < 0 ? std::string("false") : std::to_string(o.endpointing_ms));
  if (o.utterance_end_ms > 0) add_param("utterance_end_ms", std::to_string(o.utterance_end_ms));
  add_param("vad_events", boolean(o.vad_events));
  add_param("smart_format", boolean(o.smart_format));
  add_param("punctuate", boolean(o.punctuate));
  for (const auto& tag : o.tags)
    if (!tag.empty()) add_param("tag", tag);
  return url;
}

std::vector<std::string> split_tags(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!item.empty() && g_ascii_isspace(item.front())) item.remove_prefix(1);
    while (!item.empty() && g_ascii_isspace(item.back())) item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

std::optional<std::uint64_t> result_end_ns(const Results& results) {
  const double end_s = results.start + results.duration;
  return protocol::checked_integer<std::uint64_t>((end_s > 0 ? end_s : 0.0) * 1e9);
}

ServerMessage parse_server_message(std::string_view text) {
  // json-glib recurses per level: a hostile endpoint's deep nesting is refused before it runs.
  if (protocol::json_nesting_beyond(text, protocol::kMaxVendorJsonDepth))
    return ServerError{"JSON nested deeper than " + std::to_string(protocol::kMaxVendorJsonDepth)};
  JsonParser* parser = json_parser_new();
  GError* err = nullptr;
  ServerMessage out = ServerError{"not JSON"};
  if (!json_parser_load_from_data(parser, text.data(), static_cast<gssize>(text.size()), &err)) {
    g_clear_error(&err);
    g_object_unref(parser);
    return out;
  }
  JsonNode* root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    g_object_unref(parser);
    return ServerError{"not a JSON object"};
  }
  JsonObject* o = json_node_get_object(root);
  const std::string type = member_string(o, "type");
  if (type == "Results") {
    out = parse_results(o);
  } else if (type == "Metadata") {
    out = Metadata{member_string(o, "request_id"), member_double(o, "duration"),
                   protocol::json_integer<int>(json_object_get_member(o, "channels")).value_or(0)};
  } else if (type == "UtteranceEnd") {
    out = UtteranceEnd{first_index(o, "channel"), member_double(o, "last_word_end")};
  } else if (type == "SpeechStarted") {
    out = SpeechStarted{first_index(o, "channel"), member_double(o, "timestamp")};
  } else if (type == "Error" || json_object_has_member(o, "err_code") ||
             json_object_has_member(o, "err_msg")) {
    std::string d = member_string(o, "description");
    if (d.empty()) d = member_string(o, "err_msg");
    if (d.empty()) d = member_string(o, "message");
    std::string code = member_string(o, "err_code");
    if (code.empty()) code = member_string(o, "variant");
    out = ServerError{code.empty() ? d : code + ": " + d};
  } else if (type.empty()) {
    out = ServerError{"message without a type"};
  } else {
    out = Unknown{type};
  }
  g_object_unref(parser);
  return out;
}

std::string encode_control(Control control) {
  switch (control) {
    case Control::kKeepAlive: return R"({"type":"KeepAlive"})";
    case Control::kFinalize: return R"({"type":"Finalize"})";
    case Control::kCloseStream: return R"({"type":"CloseStream"})";
  }
  return {};
}

int bytes_per_second(const ListenOptions& o) {
  return o.sample_rate * o.channels * (o.encoding == Encoding::kLinear16 ? 2 : 1);
}

}  // namespace mediaflow::deepgram
