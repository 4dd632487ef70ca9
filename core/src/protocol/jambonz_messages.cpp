// jambonz listen control frames. Marks arrive once per utterance, so each read uses its own
// simdjson parser and returns owned strings: nothing is shared between calls or threads.
#include <mediaflow/protocol/jambonz_messages.hpp>
#include <mediaflow/protocol/json_depth.hpp>
#include <mediaflow/protocol/json_number.hpp>
#include <mediaflow/protocol/json_string.hpp>
#include <mediaflow/protocol/utf8.hpp>

#include <simdjson.h>

#include <algorithm>

namespace mediaflow::protocol::jambonz {

namespace dom = simdjson::dom;

const char* control_kind_name(ControlKind kind) {
  switch (kind) {
    case ControlKind::kMark: return "mark";
    case ControlKind::kDtmf: return "dtmf";
    case ControlKind::kPlayDone: return "playDone";
    case ControlKind::kUnknown: return "unknown";
    case ControlKind::kMalformed: return "malformed";
  }
  return "?";
}

namespace {

// A DTMF "digit" is one of 0-9 * # A-D; a few bytes leave room for how a gateway spells it.
constexpr std::size_t kMaxDtmfDigitBytes = 8;

ControlMessage malformed(const char* why) {
  ControlMessage m;
  m.error = why;
  return m;
}

ControlMessage of_kind(ControlKind kind) {
  ControlMessage m;
  m.kind = kind;
  return m;
}

ControlMessage read_mark(dom::object root) {
  dom::object data;
  if (root["data"].get_object().get(data)) return malformed("mark: missing 'data' object");
  std::string_view name, event;
  if (data["name"].get_string().get(name) || name.empty()) return malformed("mark: missing data.name string");
  if (data["event"].get_string().get(event)) return malformed("mark: missing data.event string");
  ControlMessage m;
  if (event == "playout") m.mark_event = MarkEvent::kPlayout;
  else if (event == "cleared") m.mark_event = MarkEvent::kCleared;
  else return of_kind(ControlKind::kUnknown);  // an event jambonz may add later
  m.kind = ControlKind::kMark;
  m.mark_name.assign(name);
  return m;
}

ControlMessage read_dtmf(dom::object root) {
  std::string_view digit;
  if (root["dtmf"].get_string().get(digit) || digit.empty() || digit.size() > kMaxDtmfDigitBytes)
    return malformed("dtmf: missing or oversized 'dtmf' string");
  ControlMessage m;
  m.kind = ControlKind::kDtmf;
  m.dtmf_digit.assign(digit);
  // The duration is informational: a missing or odd one is not worth dropping the digit.
  dom::element duration;
  if (!root["duration"].get(duration)) {
    if (duration.type() == dom::element_type::INT64 || duration.type() == dom::element_type::UINT64 ||
        duration.type() == dom::element_type::DOUBLE) {
      double d = 0;
      if (!duration.get_double().get(d)) m.dtmf_duration = checked_integer<std::uint32_t>(d);
    }
  }
  return m;
}

void append_command(std::string& j, std::string_view type) {
  j += "{\"type\":";
  append_json_string(j, type);
}

}  // namespace

ControlMessage read_control_message(std::string_view text) {
  if (text.size() > kMaxControlMessageBytes) return malformed("larger than 16 KiB");
  if (!is_valid_utf8(text)) return malformed("not UTF-8");
  if (json_nesting_beyond(text, kMaxVendorJsonDepth)) return malformed("nests deeper than 32 levels");
  dom::parser parser;
  dom::element doc;
  if (parser.parse(text.data(), text.size()).get(doc)) return malformed("not valid JSON");
  dom::object root;
  if (doc.get_object().get(root)) return malformed("not a JSON object");

  // mod_audio_fork's messages carry "type"; the feature server's DTMF carries "event" instead.
  std::string_view type;
  if (!root["type"].get_string().get(type)) {
    if (type == "mark") return read_mark(root);
    if (type == "playDone") return of_kind(ControlKind::kPlayDone);
    return of_kind(ControlKind::kUnknown);
  }
  std::string_view event;
  if (!root["event"].get_string().get(event) && event == "dtmf") return read_dtmf(root);
  return of_kind(ControlKind::kUnknown);
}

bool is_valid_mark_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxMarkNameBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
}

std::string encode_kill_audio() { return R"({"type":"killAudio"})"; }

std::optional<std::string> encode_mark(std::string_view name) {
  if (!is_valid_mark_name(name)) return std::nullopt;
  std::string j;
  append_command(j, "mark");
  j += ",\"data\":{\"name\":";
  append_json_string(j, name);
  j += "}}";
  return j;
}

std::string encode_clear_marks() { return R"({"type":"clearMarks"})"; }

std::string encode_disconnect() { return R"({"type":"disconnect"})"; }

// Byte for byte what lws_glue.cpp's send_mark_event() writes (with its spaces), except that the
// name is escaped: the same bytes for every name is_valid_mark_name() accepts.
std::string encode_mark_event(std::string_view name, MarkEvent event) {
  std::string j = "{\"type\": \"mark\", \"data\": {\"name\":";
  append_json_string(j, name);
  j += event == MarkEvent::kCleared ? ", \"event\": \"cleared\"}}" : ", \"event\": \"playout\"}}";
  return j;
}

// JSON.stringify({event: 'dtmf', dtmf, duration}) as the feature server sends it.
std::string encode_dtmf_event(std::string_view digit, std::uint32_t duration) {
  std::string j = "{\"event\":\"dtmf\",\"dtmf\":";
  append_json_string(j, digit);
  j += ",\"duration\":" + std::to_string(duration) + "}";
  return j;
}

Command read_command(std::string_view text) {
  Command c;
  if (text.size() > kMaxControlMessageBytes || !is_valid_utf8(text) || json_nesting_beyond(text, kMaxVendorJsonDepth)) {
    c.error = "not a bounded UTF-8 text";
    return c;
  }
  dom::parser parser;
  dom::object root;
  std::string_view type;
  if (parser.parse(text.data(), text.size()).get_object().get(root) || root["type"].get_string().get(type)) {
    c.error = "not a JSON object with a string 'type'";
    return c;
  }
  if (type == "killAudio") c.kind = CommandKind::kKillAudio;
  else if (type == "clearMarks") c.kind = CommandKind::kClearMarks;
  else if (type == "disconnect") c.kind = CommandKind::kDisconnect;
  else if (type != "mark") c.kind = CommandKind::kUnknown;
  if (type != "mark") return c;
  // mod_audio_fork keeps any string name; an empty one we never send, so it is refused here.
  std::string_view name;
  if (root["data"]["name"].get_string().get(name) || name.empty()) {
    c.error = "mark: missing data.name string";
    return c;
  }
  c.kind = CommandKind::kMark;
  c.mark_name.assign(name);
  return c;
}

}  // namespace mediaflow::protocol::jambonz
