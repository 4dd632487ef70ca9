// ElevenLabs streaming text-to-speech (`stream-input` WebSocket) wire format, as plain C++: the
// URL, the client's text messages, and a reusable parser of the server's messages that decodes
// the base64 audio straight into the caller's buffer. No GStreamer.
//
// Sources (see README.md): the AsyncAPI spec in elevenlabs/elevenlabs-docs
// (fern/apis/api/asyncapi.yml, channel /v1/text-to-speech/{voice_id}/stream-input), the
// Python SDK's realtime_tts.py, and error frames quoted in ElevenLabs' issue trackers.
#pragma once

#include "elevenlabs_protocol.hpp"  // elevenlabs::AudioFormat: the same format names

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::elevenlabs_tts {

using elevenlabs::AudioFormat;  // ulaw_8000, pcm_8000 … pcm_48000 (parse_audio_format)

// --- Connection -------------------------------------------------------------------------

struct StreamOptions {
  std::string voice_id;
  std::string model_id;  // e.g. "eleven_flash_v2_5"; empty: not sent (the voice's default)
  AudioFormat output_format;  // ulaw_8000 unless set
  std::string language_code;  // empty: not sent
  int inactivity_timeout_s = 0;  // 0: not sent (ElevenLabs' default is 20 s)
  bool auto_mode = false;  // ElevenLabs generates per sentence without its chunk schedule
};

// The API key travels in this header (never in the URL or a message: neither gets logged).
constexpr const char* kApiKeyHeader = "xi-api-key";

// `base` is e.g. wss://api.elevenlabs.io (a trailing '/' is fine) →
// {base}/v1/text-to-speech/{voice_id}/stream-input?model_id=…&output_format=…
std::string build_stream_url(std::string_view base, const StreamOptions& options);

// --- Client → server --------------------------------------------------------------------

struct VoiceSettings {
  double stability = 0.5;
  double similarity_boost = 0.75;
  std::optional<double> style, speed;
  std::optional<bool> use_speaker_boost;
};

struct InitialMessage {
  std::optional<VoiceSettings> voice_settings;  // unset: the voice's stored settings
  std::vector<int> chunk_length_schedule;       // characters, each 50..500; empty: not sent
};
// {"text":" ", "voice_settings":{…}, "generation_config":{"chunk_length_schedule":[…]}}: the
// required first message (its text is a single space).
std::string encode_initial(const InitialMessage& message);

enum class Trigger {
  kNone,
  kTryTriggerGeneration,  // generate now if enough text is buffered
  kFlush,                 // generate everything buffered now (the connection stays open)
};
// {"text":"<text> "}: the text always ends in a space, as ElevenLabs asks (one is added when
// missing; an empty text is sent as " ", never as "", which would end the input). `text` must
// be UTF-8.
std::string encode_text(std::string_view text, Trigger trigger = Trigger::kNone);
// {"text":""}: end of input. ElevenLabs generates what is left, sends isFinal and closes.
std::string encode_end_of_input();

// --- Server → client --------------------------------------------------------------------

// Which characters the audio chunk speaks, in ms relative to that chunk. Views into the
// parser: valid until its next parse().
struct Alignment {
  std::vector<std::string_view> chars;
  std::vector<std::uint32_t> start_ms;
  std::vector<std::uint32_t> duration_ms;
};

enum class MessageKind {
  kAudio,      // audio decoded into the caller's buffer (maybe with is_final)
  kFinal,      // {"isFinal":true}: everything is generated; the server closes next
  kError,      // {"message":…,"error":…,"code":…}: the server closes next
  kUnknown,    // a JSON object with nothing we act on ({"audio":null}, new fields)
  kMalformed,  // not JSON, not an object, bad base64, a field of the wrong type
};

struct ServerMessage {
  MessageKind kind = MessageKind::kMalformed;
  std::size_t audio_bytes = 0;  // kAudio: bytes written to the caller's buffer
  bool is_final = false;
  const Alignment* alignment = nullptr;             // null when absent or null
  const Alignment* normalized_alignment = nullptr;  // the same for the normalized text
  std::string_view error;    // kError: ElevenLabs' id, e.g. "input_timeout_exceeded"
  std::string_view message;  // kError: its explanation (never audio)
  int code = 0;              // kError: the close code announced (1008), 0 when absent
  const char* malformed = "";  // kMalformed: why (static text, safe to log)
};

// One per connection (or per loop thread), reused for every message: once warm it allocates
// nothing. Views in the returned message stay valid until the next parse().
class ServerMessageParser {
 public:
  ServerMessageParser();
  ~ServerMessageParser();
  ServerMessageParser(const ServerMessageParser&) = delete;
  ServerMessageParser& operator=(const ServerMessageParser&) = delete;

  // A buffer of this many bytes holds the audio of any message of `message_bytes`.
  static constexpr std::size_t max_audio_bytes(std::size_t message_bytes) { return message_bytes / 4 * 3 + 3; }
  // Never throws. Audio that does not fit `audio_out` makes the message kMalformed.
  ServerMessage parse(std::string_view text, std::span<std::uint8_t> audio_out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mediaflow::elevenlabs_tts
