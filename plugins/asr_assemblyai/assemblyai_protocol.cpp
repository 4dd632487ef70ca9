// AssemblyAI v3 codec: simdjson DOM (one parser per thread, its buffers reused between
// messages), hand-written encoders. Field names and shapes: see the header's sources.
#include "assemblyai_protocol.hpp"

#include <mediaflow/protocol/json_string.hpp>
#include <mediaflow/protocol/url_query.hpp>

#include <simdjson.h>

#include <algorithm>

namespace mediaflow::assemblyai {
namespace {

namespace dom = simdjson::dom;
using protocol::append_query_param;
using protocol::json_number;

double number_or(dom::object o, std::string_view key, double fallback = 0) {
  double v;  // get_double() reads integers too
  return o[key].get_double().get(v) ? fallback : v;
}

std::string string_or_empty(dom::object o, std::string_view key) {
  std::string_view v;
  return o[key].get_string().get(v) ? std::string() : std::string(v);
}

ServerMessage parse_turn(dom::object o) {
  Turn t;
  std::string_view transcript;
  if (o["end_of_turn"].get_bool().get(t.end_of_turn) || o["transcript"].get_string().get(transcript))
    return Malformed{"Turn: no end_of_turn or transcript"};
  t.transcript = transcript;
  t.turn_order = static_cast<std::int64_t>(std::clamp(number_or(o, "turn_order"), 0.0, 9e18));
  if (bool b; !o["turn_is_formatted"].get_bool().get(b)) t.turn_is_formatted = b;
  t.end_of_turn_confidence = number_or(o, "end_of_turn_confidence");
  dom::element words_field;
  dom::array words;
  if (o["words"].get(words_field)) return t;  // optional
  if (words_field.get_array().get(words)) return Malformed{"Turn: words is not an array"};
  for (dom::element e : words) {
    dom::object w;
    std::string_view text;
    if (e.get_object().get(w) || w["text"].get_string().get(text)) return Malformed{"Turn: a word without text"};
    Word& word = t.words.emplace_back(Word{std::string(text), number_or(w, "start") / 1000, number_or(w, "end") / 1000,
                                           number_or(w, "confidence"), false});
    if (bool b; !w["word_is_final"].get_bool().get(b)) word.is_final = b;
  }
  return t;
}

}  // namespace

std::string build_url(std::string_view base, const StreamOptions& o) {
  std::string url(base);
  append_query_param(url, "sample_rate", std::to_string(o.sample_rate));
  append_query_param(url, "encoding", o.encoding == Encoding::kPcmMulaw ? "pcm_mulaw" : "pcm_s16le");
  if (!o.speech_model.empty()) append_query_param(url, "speech_model", o.speech_model);
  if (o.format_turns) append_query_param(url, "format_turns", "true");
  if (o.end_of_turn_confidence_threshold >= 0)
    append_query_param(url, "end_of_turn_confidence_threshold", json_number(o.end_of_turn_confidence_threshold));
  if (o.min_turn_silence_ms >= 0) append_query_param(url, "min_turn_silence", std::to_string(o.min_turn_silence_ms));
  if (o.max_turn_silence_ms >= 0) append_query_param(url, "max_turn_silence", std::to_string(o.max_turn_silence_ms));
  if (o.inactivity_timeout_s > 0) append_query_param(url, "inactivity_timeout", std::to_string(o.inactivity_timeout_s));
  if (!o.token.empty()) append_query_param(url, "token", o.token);
  return url;
}

ServerMessage parse_server_message(std::string_view text) {
  thread_local dom::parser parser;  // reused: no allocation per message once warm
  dom::element doc;
  dom::object o;
  std::string_view type;
  if (parser.parse(text.data(), text.size()).get(doc)) return Malformed{"not JSON"};
  if (doc.get_object().get(o)) return Malformed{"not a JSON object"};
  if (o["type"].get_string().get(type))  // the legacy error has no type
    return o["error"].error() ? ServerMessage{Malformed{"no \"type\""}} : ServerError{0, string_or_empty(o, "error")};
  if (type == "Turn") return parse_turn(o);
  if (type == "Begin") {
    std::string_view id;
    if (o["id"].get_string().get(id)) return Malformed{"Begin: no id"};
    // expires_at: a number in the examples, a "date-time" string in the spec: 0 unless a number.
    return Begin{std::string(id), static_cast<std::int64_t>(std::clamp(number_or(o, "expires_at"), -9e18, 9e18))};
  }
  if (type == "SpeechStarted") return SpeechStarted{number_or(o, "timestamp") / 1000};
  if (type == "Termination")
    return Termination{number_or(o, "audio_duration_seconds"), number_or(o, "session_duration_seconds")};
  if (type == "Error")
    return ServerError{static_cast<int>(std::clamp(number_or(o, "error_code"), 0.0, 65535.0)), string_or_empty(o, "error")};
  return Unknown{std::string(type)};
}

Segment segment_of(const Turn& turn, bool format_turns) {
  Segment s;
  s.text = turn.transcript;
  s.is_final = s.end_of_utterance = turn.end_of_turn && (turn.turn_is_formatted || !format_turns);
  if (turn.words.empty()) return s;
  s.start = turn.words.front().start;
  s.duration = std::max(0.0, turn.words.back().end - s.start);
  for (const Word& w : turn.words) {
    s.confidence += w.confidence / static_cast<double>(turn.words.size());
    s.words.push_back({w.text, w.start, w.end, w.confidence, std::nullopt});
  }
  return s;
}

std::string encode_control(Control control) {
  static constexpr const char* kMessages[] = {R"({"type":"Terminate"})", R"({"type":"ForceEndpoint"})",
                                              R"({"type":"KeepAlive"})"};
  return kMessages[static_cast<int>(control)];
}

vendor::CloseVerdict describe_close(int code) {
  // "Common session errors and closures": the v3 codes, and the 1008s of its earlier version.
  // Anything else (1000, 1006, 1011, the v2 API's 4xxx, …): a new connection may do better.
  static constexpr struct {
    int code;
    vendor::CloseVerdict meaning;
  } kTable[] = {
      {1008, {"unauthorized connection: missing or invalid API key or token, or an account issue", false}},
      {3005, {"session cancelled: server error", true}},
      {3006, {"input validation error: invalid message, JSON or connection parameter", false}},
      {3007, {"audio message outside 50-1000 ms, or audio sent faster than real time", false}},
      {3008, {"session expired: maximum session duration exceeded", true}},
      {3009, {"too many concurrent sessions", true}},
  };
  for (const auto& e : kTable)
    if (e.code == code) return e.meaning;
  return {code == 1000 ? "normal closure" : "connection closed (code not documented by AssemblyAI)", true};
}

}  // namespace mediaflow::assemblyai
