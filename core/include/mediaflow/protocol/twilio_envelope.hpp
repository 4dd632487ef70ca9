// Twilio Media Streams messages (shared/protocols.md §1): parse what Twilio sends, encode
// what we send back, and encode Twilio's side too (call simulator, captures, tests).
//
// Parsing is the per-frame hot path of the host: one TwilioEnvelopeParser per call (or per
// loop thread) is reused for every message; after the first few messages it allocates
// nothing for `media`, `mark`, `dtmf`, `stop`. Views in the returned message point into the
// parser and stay valid until its next parse() call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::protocol::twilio {

enum class EventKind : std::uint8_t {
  kConnected,
  kStart,
  kMedia,
  kMark,
  kDtmf,
  kStop,
  kUnknown,    // valid JSON with an "event" we do not know: ignore it
  kMalformed,  // not JSON, not an object, or a known event missing/mistyping a field
};

const char* event_kind_name(EventKind kind);

struct MediaFormat {
  std::string encoding;  // "audio/x-mulaw"
  std::uint32_t sample_rate = 8000;
  std::uint32_t channels = 1;
};

// Owned copies: the host keeps these for the whole call.
struct StartEvent {
  std::string stream_sid;
  std::string call_sid;
  std::string account_sid;
  std::vector<std::string> tracks;
  std::map<std::string, std::string> custom_parameters;
  MediaFormat media_format;
};

struct MediaEvent {
  std::string_view track;           // "inbound" | "outbound"
  std::uint64_t chunk = 0;          // from the string "chunk"
  std::uint64_t timestamp_ms = 0;   // from the string "timestamp": ms since stream start
  std::string_view payload_base64;  // decode with decode_base64()
};

struct DtmfEvent {
  std::string_view digit;
  std::string_view track;  // as Twilio sends it: "inbound_track"
};

struct StopEvent {
  std::string_view account_sid;
  std::string_view call_sid;
};

struct InboundMessage {
  EventKind kind = EventKind::kMalformed;
  std::string_view event;       // the "event" string as sent (useful for kUnknown)
  std::string_view stream_sid;  // top-level "streamSid", empty when absent
  std::optional<std::uint64_t> sequence_number;
  // kConnected
  std::string_view protocol;
  std::string_view version;
  StartEvent start;         // kStart
  MediaEvent media;         // kMedia
  std::string_view mark;    // kMark: mark.name
  DtmfEvent dtmf;           // kDtmf
  StopEvent stop;           // kStop
  const char* error = "";   // kMalformed: why (static text, safe to log: holds no data)
};

class TwilioEnvelopeParser {
 public:
  TwilioEnvelopeParser();
  ~TwilioEnvelopeParser();
  TwilioEnvelopeParser(const TwilioEnvelopeParser&) = delete;
  TwilioEnvelopeParser& operator=(const TwilioEnvelopeParser&) = delete;

  // Never throws on bad input: returns kind kMalformed with `error` set.
  InboundMessage parse(std::string_view text);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// --- base64 (standard alphabet, '=' padding; what Twilio sends) ---------------------------

// Upper bound of decoded bytes for `encoded_len` characters.
constexpr std::size_t base64_decoded_max(std::size_t encoded_len) { return encoded_len / 4 * 3 + 3; }
// Strict: length a multiple of 4, alphabet only, '=' only as final padding. Returns the
// number of bytes written, or nullopt when the input is not valid base64 or `out` is too small.
std::optional<std::size_t> decode_base64(std::string_view in, std::span<std::uint8_t> out);
void append_base64(std::string& out, std::span<const std::uint8_t> bytes);

// --- us → Twilio ----------------------------------------------------------------------------
std::string encode_outbound_media(std::string_view stream_sid, std::span<const std::uint8_t> mulaw);
// Same message, written into `out` (replacing its content, reusing its capacity): the per-frame
// path of twiliosink allocates nothing once warm.
void encode_outbound_media_into(std::string& out, std::string_view stream_sid, std::span<const std::uint8_t> mulaw);
std::string encode_outbound_mark(std::string_view stream_sid, std::string_view name);
std::string encode_outbound_clear(std::string_view stream_sid);

// --- Twilio → us, exactly as Twilio sends them (simulator, captures, tests) ----------------
std::string encode_connected();
std::string encode_start(std::uint64_t sequence_number, const StartEvent& start);
std::string encode_inbound_media(std::uint64_t sequence_number, std::string_view stream_sid,
                                 std::string_view track, std::uint64_t chunk,
                                 std::uint64_t timestamp_ms, std::span<const std::uint8_t> mulaw);
std::string encode_inbound_mark(std::uint64_t sequence_number, std::string_view stream_sid,
                                std::string_view name);
std::string encode_dtmf(std::uint64_t sequence_number, std::string_view stream_sid,
                        std::string_view digit, std::string_view track = "inbound_track");
std::string encode_stop(std::uint64_t sequence_number, std::string_view stream_sid,
                        std::string_view account_sid, std::string_view call_sid);

// JSON string literal (with quotes) appended to `out`.
void append_json_string(std::string& out, std::string_view s);

}  // namespace mediaflow::protocol::twilio
