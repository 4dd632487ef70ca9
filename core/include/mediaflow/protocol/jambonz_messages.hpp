// The text frames of a jambonz `listen` WebSocket after the metadata (docs/jambonz.md): what
// jambonz sends us (mark events, DTMF) and the commands we send it. Audio both ways is binary
// frames of 16-bit little-endian PCM and needs no codec.
//
// Shapes are those of jambonz's mod_audio_fork (freeswitch-modules, lws_glue.cpp) and the
// feature server (lib/tasks/listen.js); see docs/jambonz.md for the sources.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mediaflow::protocol::jambonz {

// --- jambonz → us ----------------------------------------------------------------------------

enum class ControlKind : std::uint8_t {
  kMark,       // {"type":"mark","data":{"name":…,"event":"playout"|"cleared"}}
  kDtmf,       // {"event":"dtmf","dtmf":"1","duration":…} (verb with passDtmf)
  kPlayDone,   // {"type":"playDone",…}: only after a playAudio, which we never send
  kUnknown,    // valid JSON we do not know (another type, a mark event of another name): ignore
  kMalformed,  // not a JSON object, or a known type missing/mistyping a field: log, ignore
};
const char* control_kind_name(ControlKind kind);

enum class MarkEvent : std::uint8_t {
  kPlayout,  // the audio sent before the mark has been played to the caller
  kCleared,  // killAudio dropped the audio before it: it was never heard
};

// Text frames after the metadata are small (a mark, a digit); anything larger is refused.
inline constexpr std::size_t kMaxControlMessageBytes = 16 * 1024;

struct ControlMessage {
  ControlKind kind = ControlKind::kMalformed;
  std::string mark_name;        // kMark
  MarkEvent mark_event = MarkEvent::kPlayout;
  std::string dtmf_digit;       // kDtmf
  std::optional<std::uint32_t> dtmf_duration;  // kDtmf, as FreeSWITCH counts it (8 kHz samples)
  const char* error = "";       // kMalformed: why (static text, safe to log)
};

// None of these ends a call: the host logs kMalformed and ignores it like kUnknown.
ControlMessage read_control_message(std::string_view text);

// --- us → jambonz (bidirectionalAudio.streaming) -----------------------------------------------

// Barge-in: jambonz drops the audio it has buffered and answers every pending mark `cleared`.
std::string encode_kill_audio();  // {"type":"killAudio"}
// Asks for a `playout` event once the audio sent so far has been played. mod_audio_fork echoes the
// name into its event without escaping, so only names that need none are sent: 1 to
// kMaxMarkNameBytes printable ASCII characters, no '"' and no '\'. nullopt for any other name.
inline constexpr std::size_t kMaxMarkNameBytes = 128;
bool is_valid_mark_name(std::string_view name);
std::optional<std::string> encode_mark(std::string_view name);  // {"type":"mark","data":{"name":…}}
// Forgets pending marks without an event for them (mod_audio_fork sends none).
std::string encode_clear_marks();  // {"type":"clearMarks"}
// Ends the listen verb from our side; jambonz then closes the WebSocket.
std::string encode_disconnect();  // {"type":"disconnect"}

// --- jambonz's side, exactly as it writes them (call simulator, tests) -------------------------
std::string encode_mark_event(std::string_view name, MarkEvent event);
std::string encode_dtmf_event(std::string_view digit, std::uint32_t duration);

// What mod_audio_fork makes of a text frame from the host (call simulator): the commands above.
// Other types (playAudio, transcription, …) it handles but we never send them: kUnknown.
enum class CommandKind : std::uint8_t {
  kKillAudio,   // drop the buffered audio, answer every pending mark `cleared`
  kMark,        // `mark_name`: a `playout` event once the audio before it has played
  kClearMarks,  // forget the pending marks, no event
  kDisconnect,  // end the listen verb: jambonz closes the socket
  kUnknown,     // a JSON object of another type
  kMalformed,   // not a JSON object with a string "type", or a mark without data.name
};
struct Command {
  CommandKind kind = CommandKind::kMalformed;
  std::string mark_name;  // kMark
  const char* error = "";  // kMalformed: why (static text)
};
Command read_command(std::string_view text);

}  // namespace mediaflow::protocol::jambonz
