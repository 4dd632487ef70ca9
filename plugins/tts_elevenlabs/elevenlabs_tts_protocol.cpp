// ElevenLabs stream-input codec. Server messages go through one reused simdjson DOM parser (its
// tape and string buffer grow once, then nothing is allocated per message; DOM rather than
// On-Demand because DOM picks the CPU's SIMD kernel at run time, On-Demand only at build time,
// which for a portable x86-64 build is the scalar fallback); the base64 audio is decoded
// straight into the caller's buffer.
#include "elevenlabs_tts_protocol.hpp"

#include <mediaflow/protocol/json_string.hpp>
#include <mediaflow/protocol/twilio_envelope.hpp>  // decode_base64: strict, allocation-free
#include <mediaflow/protocol/url_query.hpp>

#include <glib.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>

namespace mediaflow::elevenlabs_tts {
namespace {

namespace dom = simdjson::dom;

void add_number(std::string& out, const char* name, double v) {  // shortest round-trip form: 1.1
  char buf[32];
  ((out += '"') += name) += "\":";
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  out += ',';
}

// chars / charStartTimesMs / charDurationsMs: camelCase on the wire (ElevenLabs' own examples),
// snake_case in the AsyncAPI spec (char_start_times_ms, chars_durations_ms): both are read.
const char* read_alignment(dom::element value, Alignment& a, const Alignment*& out) {
  a.chars.clear();
  a.start_ms.clear();
  a.duration_ms.clear();
  out = nullptr;
  if (value.is_null()) return nullptr;
  dom::object o;
  if (value.get_object().get(o)) return "alignment is not an object";
  for (const auto [key, member] : o) {
    const bool chars = key == "chars";
    std::vector<std::uint32_t>* times = key == "charStartTimesMs" || key == "char_start_times_ms" ? &a.start_ms
                                        : key == "charDurationsMs" || key == "chars_durations_ms" ||
                                                  key == "char_durations_ms"
                                            ? &a.duration_ms
                                            : nullptr;
    if (!chars && !times) continue;
    dom::array list;
    if (member.get_array().get(list)) return "alignment member is not an array";
    for (dom::element item : list) {
      std::string_view c;
      std::uint64_t ms = 0;
      if (chars ? item.get_string().get(c) : item.get_uint64().get(ms)) return "alignment holds a wrong value";
      if (chars) a.chars.push_back(c);
      else times->push_back(static_cast<std::uint32_t>(std::min<std::uint64_t>(ms, UINT32_MAX)));
    }
  }
  if (a.start_ms.size() != a.chars.size() || a.duration_ms.size() != a.chars.size())
    return "alignment lists differ in length";
  out = &a;
  return nullptr;
}

}  // namespace

std::string build_stream_url(std::string_view base, const StreamOptions& o) {
  std::string url(base);
  while (!url.empty() && url.back() == '/') url.pop_back();
  gchar* voice = g_uri_escape_string(o.voice_id.c_str(), nullptr, FALSE);
  ((url += "/v1/text-to-speech/") += voice) += "/stream-input";
  g_free(voice);
  if (!o.model_id.empty()) protocol::append_query_param(url, "model_id", o.model_id);
  protocol::append_query_param(url, "output_format", elevenlabs::audio_format_name(o.output_format));
  if (!o.language_code.empty()) protocol::append_query_param(url, "language_code", o.language_code);
  if (o.inactivity_timeout_s > 0) protocol::append_query_param(url, "inactivity_timeout", std::to_string(o.inactivity_timeout_s));
  if (o.auto_mode) protocol::append_query_param(url, "auto_mode", "true");
  return url;
}

std::string encode_initial(const InitialMessage& m) {
  std::string out = R"({"text":" ",)";
  if (const auto& v = m.voice_settings) {
    out += R"("voice_settings":{)";
    add_number(out, "stability", v->stability);
    add_number(out, "similarity_boost", v->similarity_boost);
    if (v->style) add_number(out, "style", *v->style);
    if (v->speed) add_number(out, "speed", *v->speed);
    if (v->use_speaker_boost) out += *v->use_speaker_boost ? R"("use_speaker_boost":true,)" : R"("use_speaker_boost":false,)";
    out.back() = '}';
    out += ',';
  }
  if (!m.chunk_length_schedule.empty()) {
    out += R"("generation_config":{"chunk_length_schedule":[)";
    for (int n : m.chunk_length_schedule) (out += std::to_string(n)) += ',';
    out.back() = ']';
    out += "},";
  }
  out.back() = '}';
  return out;
}

std::string encode_text(std::string_view text, Trigger trigger) {
  std::string out = R"({"text":)";
  std::string spaced(text);
  if (spaced.empty() || spaced.back() != ' ') spaced += ' ';
  protocol::append_json_string(out, spaced);
  if (trigger == Trigger::kFlush) out += R"(,"flush":true)";
  if (trigger == Trigger::kTryTriggerGeneration) out += R"(,"try_trigger_generation":true)";
  return out + "}";
}

std::string encode_end_of_input() { return R"({"text":""})"; }

struct ServerMessageParser::Impl {
  dom::parser parser;  // its copy of the message and its tape are reused
  Alignment alignment, normalized;
};

ServerMessageParser::ServerMessageParser() : impl_(std::make_unique<Impl>()) {}
ServerMessageParser::~ServerMessageParser() = default;

ServerMessage ServerMessageParser::parse(std::string_view text, std::span<std::uint8_t> audio_out) {
  ServerMessage m;
  const auto malformed = [&m](const char* why) {
    m = ServerMessage{};
    m.malformed = why;
    return m;
  };
  dom::element doc;
  dom::object o;
  if (impl_->parser.parse(text.data(), text.size()).get(doc) || doc.get_object().get(o))
    return malformed("not a JSON object");
  std::string_view audio;
  bool has_audio = false, has_error = false;
  for (const auto [key, v] : o) {
    if (key == "audio") {
      if (!v.is_null() && v.get_string().get(audio)) return malformed("audio is not a string");
      has_audio = !v.is_null();
    } else if (key == "isFinal") {
      m.is_final = v.is_bool() && bool(v);  // null on every audio chunk
    } else if (key == "alignment" || key == "normalizedAlignment") {
      Impl& i = *impl_;
      const bool plain = key == "alignment";
      if (const char* why = read_alignment(v, plain ? i.alignment : i.normalized, plain ? m.alignment : m.normalized_alignment))
        return malformed(why);
    } else if (key == "error" || key == "message") {
      has_error = true;
      if (v.is_string()) (key == "error" ? m.error : m.message) = std::string_view(v);
    } else if (key == "code") {
      std::int64_t code = 0;
      if (!v.get_int64().get(code)) m.code = static_cast<int>(std::clamp<std::int64_t>(code, 0, 65535));
    }
  }
  if (has_error) {
    m.kind = MessageKind::kError;
    return m;
  }
  if (has_audio) {
    const auto n = protocol::twilio::decode_base64(audio, audio_out);
    if (!n) return malformed("audio is not base64, or larger than the buffer");
    m.audio_bytes = *n;
    m.kind = MessageKind::kAudio;
    return m;
  }
  m.kind = m.is_final ? MessageKind::kFinal : MessageKind::kUnknown;
  return m;
}

}  // namespace mediaflow::elevenlabs_tts
