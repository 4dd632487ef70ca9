// Deepgram live transcription wire format (docs: /work/shared/protocols.md §3), as plain C++:
// the listen URL with its query parameters, server messages parsed into a tagged variant,
// and the text control messages. No GStreamer here; json-glib only for the (rare) control
// and result messages, never on the audio path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mediaflow::deepgram {

enum class Encoding { kLinear16, kMulaw };

// What the plugin asks Deepgram for. Empty strings and disabled values are left out of
// the URL so Deepgram's defaults apply.
struct ListenOptions {
  Encoding encoding = Encoding::kLinear16;
  int sample_rate = 16000;
  int channels = 1;
  std::string model;       // e.g. "nova-3"; empty: not sent
  std::string language;    // e.g. "en"; empty: not sent
  bool interim_results = true;
  int endpointing_ms = 300;    // < 0: "endpointing=false"
  int utterance_end_ms = 1000; // 0: not sent (Deepgram needs interim_results for it)
  bool vad_events = true;
  bool smart_format = true;
  bool punctuate = true;
  // Deepgram's `tag` labels (usage reports): one `tag=` parameter each, in order. Empty
  // entries are left out.
  std::vector<std::string> tags;
};

// "a, b,,c" -> {"a", "b", "c"}: the `tag` property's comma-separated list, blanks trimmed.
std::vector<std::string> split_tags(std::string_view list);

// `base` is an endpoint such as wss://api.deepgram.com/v1/listen (DEEPGRAM_WS_URL); it may
// already carry a query string, which is kept. Values are URI-escaped.
std::string build_listen_url(std::string_view base, const ListenOptions& options);

struct Word {
  std::string word;
  double start = 0;
  double end = 0;
  double confidence = 0;
  std::optional<std::string> punctuated_word;
};

// Times are seconds since the start of the audio sent on this connection.
struct Results {
  int channel = 0;
  double start = 0;
  double duration = 0;
  bool is_final = false;
  bool speech_final = false;
  bool from_finalize = false;
  std::string transcript;
  double confidence = 0;
  std::vector<Word> words;
};

struct Metadata {
  std::string request_id;
  double duration = 0;
  int channels = 0;
};

struct UtteranceEnd {
  int channel = 0;
  double last_word_end = 0;
};

struct SpeechStarted {
  int channel = 0;
  double timestamp = 0;
};

// An error reported by the server, or a text frame we could not read as a server message.
struct ServerError {
  std::string description;  // never contains audio or transcript text
};

// A well-formed message of a type we do not handle (kept so it can be counted/ignored).
struct Unknown {
  std::string type;
};

using ServerMessage = std::variant<Results, Metadata, UtteranceEnd, SpeechStarted, ServerError, Unknown>;

ServerMessage parse_server_message(std::string_view text);
// Where a result ends, in nanoseconds from the start of the connection's audio (start +
// duration, 0 when negative); nullopt when the vendor's numbers fit no such time.
std::optional<std::uint64_t> result_end_ns(const Results& results);

enum class Control { kKeepAlive, kFinalize, kCloseStream };

// {"type":"KeepAlive"} etc.: sent as text frames.
std::string encode_control(Control control);

// Bytes per second of the declared audio (2 per sample for linear16, 1 for mulaw).
int bytes_per_second(const ListenOptions& options);

}  // namespace mediaflow::deepgram
