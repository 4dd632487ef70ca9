// AssemblyAI Universal-Streaming (v3) wire format, as plain C++: the session URL, server
// messages parsed into a tagged variant, Turn → transcript-schema mapping, the text control
// messages, the 50–1000 ms audio message rule and the documented close codes. No GStreamer.
//
// Sources (see README.md): the v3 AsyncAPI spec (AssemblyAI/assemblyai-api-spec,
// fern/apis/streaming/asyncapi.yml), "Message Sequence" and "Common session errors and
// closures" (assemblyai.com/docs/streaming/…), the Python SDK (assemblyai/streaming/v3).
#pragma once

#include <mediaflow/vendor/asr_result.hpp>
#include <mediaflow/vendor/close_verdict.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mediaflow::assemblyai {

enum class Encoding { kPcmS16le, kPcmMulaw };

// Connection parameters. Negative / empty values are left out so AssemblyAI's defaults apply.
struct StreamOptions {
  int sample_rate = 16000;
  Encoding encoding = Encoding::kPcmS16le;
  std::string speech_model = "universal-streaming-english";  // the docs now require one
  bool format_turns = false;  // true: each turn ends with a second, formatted end_of_turn Turn
  double end_of_turn_confidence_threshold = -1;  // 0..1
  int min_turn_silence_ms = -1;
  int max_turn_silence_ms = -1;
  int inactivity_timeout_s = 0;  // 5..3600; 0: none
  // A temporary token goes in the query (`token=`); without one the API key is sent raw in
  // the Authorization header (kAuthorizationHeader), never in the URL.
  std::string token;
};

constexpr const char* kAuthorizationHeader = "Authorization";

// `base` is e.g. wss://streaming.assemblyai.com/v3/ws (a query it already has is kept).
std::string build_url(std::string_view base, const StreamOptions& options);

// --- Server → client ------------------------------------------------------------------

struct Begin {
  std::string id;
  std::int64_t expires_at = 0;  // Unix seconds (a number in the examples; a string in the spec: 0)
};

struct Word {
  std::string text;
  double start = 0;  // seconds of this connection's audio (the wire carries integer ms)
  double end = 0;
  double confidence = 0;
  bool is_final = false;  // word_is_final
};

struct Turn {
  std::int64_t turn_order = 0;
  bool end_of_turn = false;
  bool turn_is_formatted = false;
  std::string transcript;  // the turn's finalized words so far (replaces the previous Turn)
  double end_of_turn_confidence = 0;
  std::vector<Word> words;  // finalized and in-progress words
};

struct SpeechStarted {
  double timestamp = 0;  // seconds of this connection's audio
};

struct Termination {
  double audio_duration_s = 0;
  double session_duration_s = 0;
};

// {"type":"Error","error_code":N,"error":"…"}, sent just before a close with the same code;
// also the legacy bare {"error":"…"}.
struct ServerError {
  int code = 0;
  std::string message;
};

struct Unknown {  // well-formed, of a type we do not act on (Warning, SpeakerRevision, …)
  std::string type;
};

struct Malformed {  // not JSON, not an object, no type, or a known type with a broken field
  std::string description;  // never contains transcript text
};

using ServerMessage = std::variant<Begin, Turn, SpeechStarted, Termination, ServerError, Unknown, Malformed>;

ServerMessage parse_server_message(std::string_view text);

// A Turn as one `mediaflow-transcript` (docs/transcript-schema.md: text, words, is-final,
// end-of-utterance, start, duration, confidence), times relative to the connection. A turn is
// final at its end_of_turn; when formatting was requested only the formatted end_of_turn is
// (the unformatted one before it is an interim), so a turn's text is posted as final exactly
// once. start/duration span the words; confidence is their mean.
using Segment = vendor::Transcript;
Segment segment_of(const Turn& turn, bool format_turns);

// --- Client → server ------------------------------------------------------------------

// (UpdateConfiguration, the mid-session change of turn detection, has no encoder: the element
// never reconfigures a session.)
enum class Control { kTerminate, kForceEndpoint, kKeepAlive };
std::string encode_control(Control control);  // {"type":"Terminate"} etc.

// --- Audio: every binary message 50–1000 ms, never faster than real time (else close 3007) ---
// The element hands these to the vendor base (chunk-ms range, the last message padded to the
// minimum, real-time pacing); protocol::AudioChunker does the same for a client of its own.

constexpr unsigned kMinChunkMs = 50;
constexpr unsigned kMaxChunkMs = 1000;

// --- Closes ------------------------------------------------------------------------------

// The documented close codes: a reason for logs and warnings, and whether a new connection
// can help.
vendor::CloseVerdict describe_close(int code);

}  // namespace mediaflow::assemblyai
