// Twilio Media Streams envelope: simdjson DOM parser (its buffers are reused between
// messages, so steady-state parsing does not allocate), strict base64, hand-written encoders.
#include <mediaflow/protocol/twilio_envelope.hpp>
#include <mediaflow/protocol/json_string.hpp>

#include <simdjson.h>

#include <array>
#include <charconv>

namespace mediaflow::protocol::twilio {

namespace dom = simdjson::dom;

const char* event_kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::kConnected: return "connected";
    case EventKind::kStart: return "start";
    case EventKind::kMedia: return "media";
    case EventKind::kMark: return "mark";
    case EventKind::kDtmf: return "dtmf";
    case EventKind::kStop: return "stop";
    case EventKind::kUnknown: return "unknown";
    case EventKind::kMalformed: return "malformed";
  }
  return "?";
}

struct TwilioEnvelopeParser::Impl {
  dom::parser parser;
};

TwilioEnvelopeParser::TwilioEnvelopeParser() : impl_(std::make_unique<Impl>()) {}
TwilioEnvelopeParser::~TwilioEnvelopeParser() = default;

namespace {

// Twilio sends counters as decimal strings; a plain JSON number is accepted too.
bool get_counter(dom::element e, std::uint64_t& out) {
  std::string_view s;
  if (!e.get_string().get(s)) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  }
  return !e.get_uint64().get(out);
}

bool get_string(dom::object o, std::string_view key, std::string_view& out) {
  return !o[key].get_string().get(out);
}

// Optional string: absent is fine (stays empty), present with another type is not.
bool get_optional_string(dom::object o, std::string_view key, std::string_view& out) {
  dom::element e;
  if (o[key].get(e)) return true;
  return !e.get_string().get(out);
}

InboundMessage malformed(InboundMessage m, const char* why) {
  m.kind = EventKind::kMalformed;
  m.error = why;
  return m;
}

InboundMessage parse_start(InboundMessage m, dom::object root) {
  dom::object start;
  if (root["start"].get_object().get(start)) return malformed(std::move(m), "start: missing 'start' object");
  std::string_view stream_sid, call_sid, account_sid;
  if (!get_string(start, "streamSid", stream_sid) && m.stream_sid.empty()) m.stream_sid = stream_sid;
  if (stream_sid.empty()) stream_sid = m.stream_sid;
  if (stream_sid.empty()) return malformed(std::move(m), "start: missing streamSid");
  if (!get_string(start, "callSid", call_sid)) return malformed(std::move(m), "start: missing start.callSid");
  if (!get_optional_string(start, "accountSid", account_sid))
    return malformed(std::move(m), "start: start.accountSid is not a string");
  m.start.stream_sid.assign(stream_sid);
  m.start.call_sid.assign(call_sid);
  m.start.account_sid.assign(account_sid);

  dom::element tracks_el;
  if (!start["tracks"].get(tracks_el)) {
    dom::array tracks;
    if (tracks_el.get_array().get(tracks)) return malformed(std::move(m), "start: start.tracks is not an array");
    for (dom::element t : tracks) {
      std::string_view s;
      if (t.get_string().get(s)) return malformed(std::move(m), "start: start.tracks holds a non-string");
      m.start.tracks.emplace_back(s);
    }
  }
  dom::element params_el;
  if (!start["customParameters"].get(params_el)) {
    dom::object params;
    if (params_el.get_object().get(params))
      return malformed(std::move(m), "start: start.customParameters is not an object");
    for (auto field : params) {
      std::string_view v;
      // TwiML <Parameter> values are strings; keep numbers/booleans as their JSON text.
      if (field.value.get_string().get(v)) {
        m.start.custom_parameters.emplace(std::string(field.key), simdjson::minify(field.value));
      } else {
        m.start.custom_parameters.emplace(std::string(field.key), std::string(v));
      }
    }
  }
  dom::element format_el;
  if (!start["mediaFormat"].get(format_el)) {
    dom::object format;
    if (format_el.get_object().get(format)) return malformed(std::move(m), "start: start.mediaFormat is not an object");
    std::string_view encoding;
    if (!get_optional_string(format, "encoding", encoding))
      return malformed(std::move(m), "start: mediaFormat.encoding is not a string");
    m.start.media_format.encoding.assign(encoding);
    std::uint64_t n = 0;
    dom::element e;
    if (!format["sampleRate"].get(e)) {
      if (e.get_uint64().get(n) || n == 0 || n > 1000000) return malformed(std::move(m), "start: bad mediaFormat.sampleRate");
      m.start.media_format.sample_rate = static_cast<std::uint32_t>(n);
    }
    if (!format["channels"].get(e)) {
      if (e.get_uint64().get(n) || n == 0 || n > 64) return malformed(std::move(m), "start: bad mediaFormat.channels");
      m.start.media_format.channels = static_cast<std::uint32_t>(n);
    }
  }
  m.kind = EventKind::kStart;
  return m;
}

InboundMessage parse_media(InboundMessage m, dom::object root) {
  dom::object media;
  if (root["media"].get_object().get(media)) return malformed(std::move(m), "media: missing 'media' object");
  if (!get_optional_string(media, "track", m.media.track)) return malformed(std::move(m), "media: track is not a string");
  if (m.media.track.empty()) m.media.track = "inbound";
  dom::element e;
  if (media["timestamp"].get(e)) return malformed(std::move(m), "media: missing media.timestamp");
  if (!get_counter(e, m.media.timestamp_ms)) return malformed(std::move(m), "media: media.timestamp is not a decimal counter");
  if (!media["chunk"].get(e) && !get_counter(e, m.media.chunk))
    return malformed(std::move(m), "media: media.chunk is not a decimal counter");
  if (!get_string(media, "payload", m.media.payload_base64)) return malformed(std::move(m), "media: missing media.payload string");
  m.kind = EventKind::kMedia;
  return m;
}

}  // namespace

InboundMessage TwilioEnvelopeParser::parse(std::string_view text) {
  InboundMessage m;
  dom::element doc;
  if (impl_->parser.parse(text.data(), text.size()).get(doc)) return malformed(std::move(m), "not valid JSON");
  dom::object root;
  if (doc.get_object().get(root)) return malformed(std::move(m), "not a JSON object");
  if (!get_string(root, "event", m.event)) return malformed(std::move(m), "missing 'event' string");
  if (!get_optional_string(root, "streamSid", m.stream_sid)) return malformed(std::move(m), "streamSid is not a string");
  dom::element seq;
  if (!root["sequenceNumber"].get(seq)) {
    std::uint64_t n = 0;
    if (!get_counter(seq, n)) return malformed(std::move(m), "sequenceNumber is not a decimal counter");
    m.sequence_number = n;
  }

  const std::string_view ev = m.event;
  if (ev == "media") return parse_media(std::move(m), root);
  if (ev == "mark") {
    dom::object mark;
    if (root["mark"].get_object().get(mark)) return malformed(std::move(m), "mark: missing 'mark' object");
    if (!get_string(mark, "name", m.mark)) return malformed(std::move(m), "mark: missing mark.name string");
    m.kind = EventKind::kMark;
    return m;
  }
  if (ev == "dtmf") {
    dom::object dtmf;
    if (root["dtmf"].get_object().get(dtmf)) return malformed(std::move(m), "dtmf: missing 'dtmf' object");
    if (!get_string(dtmf, "digit", m.dtmf.digit) || m.dtmf.digit.empty())
      return malformed(std::move(m), "dtmf: missing dtmf.digit string");
    if (!get_optional_string(dtmf, "track", m.dtmf.track)) return malformed(std::move(m), "dtmf: track is not a string");
    m.kind = EventKind::kDtmf;
    return m;
  }
  if (ev == "start") return parse_start(std::move(m), root);
  if (ev == "connected") {
    if (!get_optional_string(root, "protocol", m.protocol) || !get_optional_string(root, "version", m.version))
      return malformed(std::move(m), "connected: protocol/version is not a string");
    m.kind = EventKind::kConnected;
    return m;
  }
  if (ev == "stop") {
    dom::object stop;
    if (!root["stop"].get_object().get(stop)) {
      if (!get_optional_string(stop, "accountSid", m.stop.account_sid) ||
          !get_optional_string(stop, "callSid", m.stop.call_sid))
        return malformed(std::move(m), "stop: accountSid/callSid is not a string");
    }
    m.kind = EventKind::kStop;
    return m;
  }
  m.kind = EventKind::kUnknown;
  return m;
}

// --- base64 ------------------------------------------------------------------------------

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_decode_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto kDecode = make_decode_table();
}  // namespace

std::optional<std::size_t> decode_base64(std::string_view in, std::span<std::uint8_t> out) {
  if (in.size() % 4 != 0) return std::nullopt;
  if (in.empty()) return 0;
  std::size_t pad = 0;
  if (in.back() == '=') pad = (in[in.size() - 2] == '=') ? 2 : 1;
  const std::size_t n = in.size() / 4 * 3 - pad;
  if (out.size() < n) return std::nullopt;
  std::size_t o = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t full = in.size() - (pad ? 4 : 0);
  for (std::size_t i = 0; i < full; i += 4) {
    const int a = kDecode[p[i]], b = kDecode[p[i + 1]], c = kDecode[p[i + 2]], d = kDecode[p[i + 3]];
    if ((a | b | c | d) < 0) return std::nullopt;
    const std::uint32_t v = (std::uint32_t(a) << 18) | (std::uint32_t(b) << 12) | (std::uint32_t(c) << 6) | std::uint32_t(d);
    out[o++] = static_cast<std::uint8_t>(v >> 16);
    out[o++] = static_cast<std::uint8_t>(v >> 8);
    out[o++] = static_cast<std::uint8_t>(v);
  }
  if (pad) {
    const std::size_t i = full;
    const int a = kDecode[p[i]], b = kDecode[p[i + 1]];
    const int c = pad == 1 ? kDecode[p[i + 2]] : 0;
    if ((a | b | c) < 0) return std::nullopt;
    const std::uint32_t v = (std::uint32_t(a) << 18) | (std::uint32_t(b) << 12) | (std::uint32_t(c) << 6);
    out[o++] = static_cast<std::uint8_t>(v >> 16);
    if (pad == 1) out[o++] = static_cast<std::uint8_t>(v >> 8);
  }
  return o;
}

void append_base64(std::string& out, std::span<const std::uint8_t> bytes) {
  const std::size_t start = out.size();
  out.resize(start + (bytes.size() + 2) / 3 * 4);
  char* w = out.data() + start;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t(bytes[i]) << 16) | (std::uint32_t(bytes[i + 1]) << 8) | bytes[i + 2];
    *w++ = kAlphabet[(v >> 18) & 63];
    *w++ = kAlphabet[(v >> 12) & 63];
    *w++ = kAlphabet[(v >> 6) & 63];
    *w++ = kAlphabet[v & 63];
  }
  if (const std::size_t rest = bytes.size() - i) {
    std::uint32_t v = std::uint32_t(bytes[i]) << 16;
    if (rest == 2) v |= std::uint32_t(bytes[i + 1]) << 8;
    *w++ = kAlphabet[(v >> 18) & 63];
    *w++ = kAlphabet[(v >> 12) & 63];
    *w++ = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    *w++ = '=';
  }
}

// --- encoders ----------------------------------------------------------------------------

void append_json_string(std::string& out, std::string_view s) { protocol::append_json_string(out, s); }

namespace {
void append_counter(std::string& out, std::uint64_t n) {
  out += '"';
  out += std::to_string(n);
  out += '"';
}

// {"event":"<event>","sequenceNumber":"<n>","streamSid":"<sid>",   (no closing brace)
std::string inbound_head(std::string_view event, std::uint64_t seq, std::string_view stream_sid) {
  std::string j;
  j.reserve(128);
  j += "{\"event\":";
  append_json_string(j, event);
  j += ",\"sequenceNumber\":";
  append_counter(j, seq);
  j += ",\"streamSid\":";
  append_json_string(j, stream_sid);
  j += ',';
  return j;
}
}  // namespace

void encode_outbound_media_into(std::string& j, std::string_view stream_sid, std::span<const std::uint8_t> mulaw) {
  j.clear();
  j.reserve(64 + stream_sid.size() + mulaw.size() / 3 * 4 + 4);
  j += "{\"event\":\"media\",\"streamSid\":";
  append_json_string(j, stream_sid);
  j += ",\"media\":{\"payload\":\"";
  append_base64(j, mulaw);
  j += "\"}}";
}

std::string encode_outbound_media(std::string_view stream_sid, std::span<const std::uint8_t> mulaw) {
  std::string j;
  encode_outbound_media_into(j, stream_sid, mulaw);
  return j;
}

std::string encode_outbound_mark(std::string_view stream_sid, std::string_view name) {
  std::string j = "{\"event\":\"mark\",\"streamSid\":";
  append_json_string(j, stream_sid);
  j += ",\"mark\":{\"name\":";
  append_json_string(j, name);
  j += "}}";
  return j;
}

std::string encode_outbound_clear(std::string_view stream_sid) {
  std::string j = "{\"event\":\"clear\",\"streamSid\":";
  append_json_string(j, stream_sid);
  j += '}';
  return j;
}

std::string encode_connected() { return R"({"event":"connected","protocol":"Call","version":"1.0.0"})"; }

std::string encode_start(std::uint64_t seq, const StartEvent& s) {
  std::string j = inbound_head("start", seq, s.stream_sid);
  j += "\"start\":{\"accountSid\":";
  append_json_string(j, s.account_sid);
  j += ",\"streamSid\":";
  append_json_string(j, s.stream_sid);
  j += ",\"callSid\":";
  append_json_string(j, s.call_sid);
  j += ",\"tracks\":[";
  for (std::size_t i = 0; i < s.tracks.size(); ++i) {
    if (i) j += ',';
    append_json_string(j, s.tracks[i]);
  }
  j += "],\"customParameters\":{";
  bool first = true;
  for (const auto& [k, v] : s.custom_parameters) {
    if (!first) j += ',';
    first = false;
    append_json_string(j, k);
    j += ':';
    append_json_string(j, v);
  }
  j += "},\"mediaFormat\":{\"encoding\":";
  append_json_string(j, s.media_format.encoding.empty() ? std::string_view("audio/x-mulaw") : s.media_format.encoding);
  j += ",\"sampleRate\":" + std::to_string(s.media_format.sample_rate);
  j += ",\"channels\":" + std::to_string(s.media_format.channels);
  j += "}}}";
  return j;
}

std::string encode_inbound_media(std::uint64_t seq, std::string_view stream_sid, std::string_view track,
                                 std::uint64_t chunk, std::uint64_t timestamp_ms,
                                 std::span<const std::uint8_t> mulaw) {
  std::string j = inbound_head("media", seq, stream_sid);
  j.reserve(j.size() + 80 + mulaw.size() / 3 * 4 + 4);
  j += "\"media\":{\"track\":";
  append_json_string(j, track);
  j += ",\"chunk\":";
  append_counter(j, chunk);
  j += ",\"timestamp\":";
  append_counter(j, timestamp_ms);
  j += ",\"payload\":\"";
  append_base64(j, mulaw);
  j += "\"}}";
  return j;
}

std::string encode_inbound_mark(std::uint64_t seq, std::string_view stream_sid, std::string_view name) {
  std::string j = inbound_head("mark", seq, stream_sid);
  j += "\"mark\":{\"name\":";
  append_json_string(j, name);
  j += "}}";
  return j;
}

std::string encode_dtmf(std::uint64_t seq, std::string_view stream_sid, std::string_view digit,
                        std::string_view track) {
  std::string j = inbound_head("dtmf", seq, stream_sid);
  j += "\"dtmf\":{\"track\":";
  append_json_string(j, track);
  j += ",\"digit\":";
  append_json_string(j, digit);
  j += "}}";
  return j;
}

std::string encode_stop(std::uint64_t seq, std::string_view stream_sid, std::string_view account_sid,
                        std::string_view call_sid) {
  std::string j = inbound_head("stop", seq, stream_sid);
  j += "\"stop\":{\"accountSid\":";
  append_json_string(j, account_sid);
  j += ",\"callSid\":";
  append_json_string(j, call_sid);
  j += "}}";
  return j;
}

}  // namespace mediaflow::protocol::twilio
