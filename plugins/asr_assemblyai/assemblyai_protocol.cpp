// AssemblyAI v3 codec: simdjson DOM (one parser per thread, its buffers reused between
// messages), hand-written encoders. Field names and shapes: see the header's sources.
#include "assemblyai_protocol.hpp"

#include <glib.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>

namespace mediaflow::assemblyai {
namespace {

namespace dom = simdjson::dom;

void add_param(std::string& url, const char* name, std::string_view value) {
  const auto q = url.find('?');
  if (q == std::string::npos) url += '?';
  else if (q + 1 != url.size() && url.back() != '&') url += '&';
  gchar* escaped = g_uri_escape_string(std::string(value).c_str(), nullptr, FALSE);
  (url += name) += '=';
  url += escaped;
  g_free(escaped);
}

std::string number(double v) {  // shortest round-trip form, whatever the locale: 0.7, not 0.69999…
  char buf[32];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

double number_or(dom::object o, std::string_view key, double fallback = 0) {
  double v;  // get_double() also reads integers
  return o[key].get_double().get(v) ? fallback : v;
}

std::string string_or(dom::object o, std::string_view key) {
  std::string_view v;
  return o[key].get_string().get(v) ? std::string() : std::string(v);
}

// Begin.expires_at: a number in the documented examples, a "date-time" string in the spec and
// a decimal string in the wild. Unix seconds from a number or a decimal string; else 0.
std::int64_t unix_seconds(dom::element e) {
  std::int64_t v = 0;
  std::string_view s;
  if (!e.get_string().get(s)) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size() ? v : 0;
  }
  double d;
  return !e.get_double().get(d) && d > -9e18 && d < 9e18 ? static_cast<std::int64_t>(d) : 0;
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
  dom::element words_el;
  if (o["words"].get(words_el)) return t;
  dom::array words;
  if (words_el.get_array().get(words)) return Malformed{"Turn: words is not an array"};
  for (dom::element we : words) {
    dom::object w;
    std::string_view text;
    if (we.get_object().get(w) || w["text"].get_string().get(text)) return Malformed{"Turn: a word without text"};
    Word word{std::string(text), number_or(w, "start") / 1000, number_or(w, "end") / 1000, number_or(w, "confidence"),
              false};
    if (bool b; !w["word_is_final"].get_bool().get(b)) word.is_final = b;
    t.words.push_back(std::move(word));
  }
  return t;
}

}  // namespace

std::string build_url(std::string_view base, const StreamOptions& o) {
  std::string url(base);
  add_param(url, "sample_rate", std::to_string(o.sample_rate));
  add_param(url, "encoding", o.encoding == Encoding::kPcmMulaw ? "pcm_mulaw" : "pcm_s16le");
  if (!o.speech_model.empty()) add_param(url, "speech_model", o.speech_model);
  if (o.format_turns) add_param(url, "format_turns", "true");
  if (o.end_of_turn_confidence_threshold >= 0)
    add_param(url, "end_of_turn_confidence_threshold", number(o.end_of_turn_confidence_threshold));
  if (o.min_turn_silence_ms >= 0) add_param(url, "min_turn_silence", std::to_string(o.min_turn_silence_ms));
  if (o.max_turn_silence_ms >= 0) add_param(url, "max_turn_silence", std::to_string(o.max_turn_silence_ms));
  if (o.inactivity_timeout_s > 0) add_param(url, "inactivity_timeout", std::to_string(o.inactivity_timeout_s));
  if (!o.token.empty()) add_param(url, "token", o.token);
  return url;
}

ServerMessage parse_server_message(std::string_view text) {
  thread_local dom::parser parser;  // reused: no allocation per message once warm
  dom::element doc;
  dom::object o;
  if (parser.parse(text.data(), text.size()).get(doc)) return Malformed{"not JSON"};
  if (doc.get_object().get(o)) return Malformed{"not a JSON object"};
  std::string_view type;
  if (o["type"].get_string().get(type)) {
    if (o["error"].error() == simdjson::SUCCESS) return ServerError{0, string_or(o, "error")};
    return Malformed{"no \"type\""};
  }
  if (type == "Turn") return parse_turn(o);
  if (type == "Begin") {
    std::string_view id;
    if (o["id"].get_string().get(id)) return Malformed{"Begin: no id"};
    dom::element expires;
    return Begin{std::string(id), o["expires_at"].get(expires) ? 0 : unix_seconds(expires)};
  }
  if (type == "SpeechStarted") return SpeechStarted{number_or(o, "timestamp") / 1000};
  if (type == "Termination")
    return Termination{number_or(o, "audio_duration_seconds"), number_or(o, "session_duration_seconds")};
  if (type == "Error")
    return ServerError{static_cast<int>(std::clamp(number_or(o, "error_code"), 0.0, 65535.0)), string_or(o, "error")};
  return Unknown{std::string(type)};
}

Segment segment_of(const Turn& turn, bool format_turns) {
  Segment s;
  s.is_final = turn.end_of_turn && (turn.turn_is_formatted || !format_turns);
  s.end_of_utterance = s.is_final;
  if (turn.words.empty()) return s;
  s.start = turn.words.front().start;
  s.duration = std::max(0.0, turn.words.back().end - s.start);
  for (const Word& w : turn.words) s.confidence += w.confidence;
  s.confidence /= static_cast<double>(turn.words.size());
  return s;
}

std::string encode_control(Control control) {
  switch (control) {
    case Control::kTerminate: return R"({"type":"Terminate"})";
    case Control::kForceEndpoint: return R"({"type":"ForceEndpoint"})";
    case Control::kKeepAlive: return R"({"type":"KeepAlive"})";
  }
  return {};
}

std::string encode_update_configuration(const ConfigurationUpdate& u) {
  std::string out = R"({"type":"UpdateConfiguration")";
  if (u.end_of_turn_confidence_threshold)
    out += R"(,"end_of_turn_confidence_threshold":)" + number(*u.end_of_turn_confidence_threshold);
  if (u.min_turn_silence_ms) out += R"(,"min_turn_silence":)" + std::to_string(*u.min_turn_silence_ms);
  if (u.max_turn_silence_ms) out += R"(,"max_turn_silence":)" + std::to_string(*u.max_turn_silence_ms);
  return out + "}";
}

int bytes_per_second(Encoding encoding, int sample_rate) {
  return sample_rate * (encoding == Encoding::kPcmS16le ? 2 : 1);
}

AudioChunker::AudioChunker(Encoding encoding, int sample_rate, int chunk_ms)
    : silence_(encoding == Encoding::kPcmS16le ? 0x00 : 0xFF) {  // mu-law's zero is 0xFF
  const std::size_t sample = encoding == Encoding::kPcmS16le ? 2 : 1;
  const std::size_t rate = static_cast<std::size_t>(std::max(sample_rate, 1));
  // Rounded up to whole samples: 50 ms at 22050 Hz is 1102.5 samples, and 1102 would be too short.
  const auto bytes_for = [&](int ms) { return (rate * static_cast<std::size_t>(ms) + 999) / 1000 * sample; };
  chunk_bytes_ = bytes_for(std::clamp(chunk_ms, kMinChunkMs, kMaxChunkMs));
  min_bytes_ = bytes_for(kMinChunkMs);
}

void AudioChunker::push(std::span<const std::uint8_t> audio) {
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_));
  read_ = 0;
  buffer_.insert(buffer_.end(), audio.begin(), audio.end());
}

std::span<const std::uint8_t> AudioChunker::pop() {
  if (buffer_.size() - read_ < chunk_bytes_) return {};
  read_ += chunk_bytes_;
  return {buffer_.data() + read_ - chunk_bytes_, chunk_bytes_};
}

std::span<const std::uint8_t> AudioChunker::pop_rest() {
  const std::size_t take = std::min(buffer_.size() - read_, chunk_bytes_);
  if (take == 0) return {};
  if (take < min_bytes_) buffer_.resize(read_ + min_bytes_, silence_);
  const std::size_t n = std::max(take, min_bytes_);
  read_ += n;
  return {buffer_.data() + read_ - n, n};
}

CloseMeaning describe_close(int code) {
  struct Entry {
    int code;
    CloseMeaning meaning;
  };
  // "Common session errors and closures" (v3 codes, and the 1008s of its earlier version);
  // 4xxx as the v3 Python SDK still maps them.
  static constexpr Entry kTable[] = {
      {1000, {"normal closure", true}},
      {1008, {"unauthorized connection: missing or invalid API key or token, or an account issue", false}},
      {1013, {"temporary server condition, try again later", true}},
      {3005, {"session cancelled: server error", true}},
      {3006, {"input validation error: invalid message, JSON or connection parameter", false}},
      {3007, {"audio message outside 50-1000 ms, or audio sent faster than real time", false}},
      {3008, {"session expired: maximum session duration exceeded", true}},
      {3009, {"too many concurrent sessions", true}},
      {4001, {"not authorized", false}},
      {4002, {"insufficient funds", false}},
      {4003, {"paid-only feature: the account needs a credit card", false}},
      {4029, {"client sent audio too fast", false}},
      {4031, {"session idle for too long", true}},
  };
  for (const Entry& e : kTable)
    if (e.code == code) return e.meaning;
  return {"connection closed (code not documented by AssemblyAI)", true};
}

}  // namespace mediaflow::assemblyai
