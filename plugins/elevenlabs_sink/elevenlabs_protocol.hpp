// ElevenLabs Conversational AI (Agents) WebSocket wire format (docs: shared/protocols.md §2),
// as plain C++: the conversation and signed-URL request URLs, the client messages, every
// server message parsed into a tagged variant, and the audio format names. No GStreamer.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mediaflow::elevenlabs {

// --- URLs -------------------------------------------------------------------------------

// `ws_base` is e.g. wss://api.elevenlabs.io/v1/convai/conversation (ELEVENLABS_WS_URL); a query
// string it already carries is kept. The agent id is URI-escaped.
std::string build_conversation_url(std::string_view ws_base, std::string_view agent_id);
// `api_base` is e.g. https://api.elevenlabs.io (ELEVENLABS_API_URL; a trailing '/' is fine):
// {api_base}/v1/convai/conversation/get-signed-url?agent_id=<id>.
std::string build_signed_url_request(std::string_view api_base, std::string_view agent_id);
// The body of the signed-URL answer, {"signed_url":"wss://…"}; nullopt when it is not that.
std::optional<std::string> parse_signed_url_response(std::string_view body);

// --- Audio formats ----------------------------------------------------------------------

enum class AudioEncoding { kPcm16, kMulaw };

struct AudioFormat {
  AudioEncoding encoding = AudioEncoding::kMulaw;
  int rate = 8000;
  int bytes_per_second() const { return encoding == AudioEncoding::kMulaw ? rate : rate * 2; }
  bool operator==(const AudioFormat&) const = default;
};

// "ulaw_8000", "pcm_16000", … (pcm_8000|16000|22050|24000|44100|48000, ulaw_8000); nullopt
// for anything else.
std::optional<AudioFormat> parse_audio_format(std::string_view name);
std::string audio_format_name(const AudioFormat& format);

// --- Client → server --------------------------------------------------------------------

// {"user_audio_chunk":"<base64>"} (no "type").
std::string encode_user_audio_chunk(std::span<const std::uint8_t> audio);
std::string encode_pong(std::uint64_t event_id);

// A dynamic variable keeps its JSON type: "true"/"false" become booleans, integers and
// decimals numbers, everything else a string (ElevenLabs types variables by their value).
struct InitiationData {
  std::map<std::string, std::string> dynamic_variables;
  std::string first_message;  // empty: the agent's own
  std::string language;       // empty: the agent's own
};
// {"type":"conversation_initiation_client_data", "conversation_config_override":{"agent":{…}}
// (only when an override is set), "dynamic_variables":{…}}
std::string encode_initiation(const InitiationData& data);
std::string encode_contextual_update(std::string_view text);
std::string encode_user_activity();
// {"type":"client_tool_result","tool_call_id":…,"result":…,"is_error":…}
std::string encode_client_tool_result(std::string_view tool_call_id, std::string_view result, bool is_error);

// "k=v;k2=v2" → map. Whitespace around keys is trimmed; a pair without '=' or with an empty
// key is reported in `bad` (may be null) and skipped.
std::map<std::string, std::string> parse_variable_list(std::string_view text, std::vector<std::string>* bad = nullptr);

// --- Server → client --------------------------------------------------------------------

struct InitiationMetadata {
  std::string conversation_id;
  std::optional<AudioFormat> agent_output;  // nullopt: name missing or unknown
  std::optional<AudioFormat> user_input;
  std::string agent_output_name;  // as sent, for messages
  std::string user_input_name;
};
struct Audio {
  std::vector<std::uint8_t> data;
  std::uint64_t event_id = 0;
};
struct Interruption {
  std::uint64_t event_id = 0;
};
struct AgentResponse {
  std::string text;
};
struct AgentResponseCorrection {
  std::string original;
  std::string corrected;
};
struct UserTranscript {
  std::string text;
};
struct Ping {
  std::uint64_t event_id = 0;
  std::uint64_t ping_ms = 0;
};
struct VadScore {
  double score = 0;
};
struct ClientToolCall {
  std::string tool_name;
  std::string tool_call_id;
  std::string parameters_json;  // the "parameters" object as compact JSON ("{}" when absent)
};
struct ServerError {
  int code = 0;
  std::string message;
  std::string error_type;
};
// A well-formed message of a type we do not know: ignored.
struct Unknown {
  std::string type;
};
// Not a server message at all (not JSON, no object, a known type with a broken body).
struct Malformed {
  std::string description;  // never contains audio or transcript text
};

using ServerMessage = std::variant<InitiationMetadata, Audio, Interruption, AgentResponse, AgentResponseCorrection,
                                   UserTranscript, Ping, VadScore, ClientToolCall, ServerError, Unknown, Malformed>;

ServerMessage parse_server_message(std::string_view text);

}  // namespace mediaflow::elevenlabs
