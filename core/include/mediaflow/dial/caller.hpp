// A simulated caller: the telephony side of one bidirectional media WebSocket, over a real
// WebSocket (the host's own engine in the client role, net::WebSocketClient), as Twilio
// (`<Connect><Stream>`, Media Streams) or jambonz (the `listen` verb's audio fork,
// docs/jambonz.md) would run it against the host.
//
// It connects to the host's URL (optional extra headers such as x-media-auth; jambonz also
// offers subprotocol audio.jambonz.org and fails unless the host selects it), opens the call
// (Twilio: `connected`, `start`; jambonz: the metadata frame), sends the audio in 20 ms frames
// in real time (Twilio: `media` messages of mu-law; jambonz: binary frames of 16-bit PCM), then
// ends it (Twilio: `stop`, the host closes; jambonz: once what it received has played, it
// closes 1000 itself) — or holds the socket open, or drops it without a close frame. It plays
// what the host sends back on a playback clock that advances in real time; a mark is echoed
// once the audio before it has played (at once in fast mode); a clear (Twilio `clear`, jambonz
// `killAudio`) drops the un-played audio and echoes every pending mark (jambonz: as `cleared`).
//
// Everything runs on the GMainContext given to the constructor, so one thread can drive
// thousands of callers. Create, start and destroy a caller on the thread that iterates that
// context; callbacks run there too.
#pragma once

#include <glib.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace mediaflow::dial {

enum class CallProtocol {
  kTwilio,   // Twilio Media Streams: JSON envelopes, 8 kHz mu-law mono
  kJambonz,  // jambonz listen: metadata frame, binary 16-bit LE PCM at 8/16/24/48/64 kHz, 1 or 2 channels
};
const char* protocol_name(CallProtocol protocol);  // "twilio" / "jambonz"

// How the caller ends the call once its audio (and hold time) is sent.
enum class CallEnding {
  kStop,      // hang up: Twilio sends `stop` and waits for the host's close; jambonz closes 1000
  kHoldOpen,  // send nothing more; wait until the host closes (idle timeout, drain, …)
  kVanish,    // drop the TCP connection without a close frame (a network failure)
};

// Fills `out` (frame_bytes long) with frame `index` (0-based) in the call's wire format.
using FrameSource = std::function<void(uint64_t index, std::span<uint8_t> out)>;

struct CallerOptions {
  CallProtocol protocol = CallProtocol::kTwilio;
  std::string url;  // ws://127.0.0.1:8080/rtm/voice (Twilio) or …/fork (jambonz), …/jwt/<token>, …?token=<token>
  std::vector<std::pair<std::string, std::string>> headers;  // extra upgrade request headers

  std::string account_sid = "AC00000000000000000000000000000000";  // Twilio
  std::string call_sid = "CA00000000000000000000000000000000";     // Twilio callSid, jambonz callSid
  std::string stream_sid = "MZ00000000000000000000000000000000";   // Twilio
  // Twilio: start.customParameters. jambonz: the listen verb's metadata, merged into the
  // metadata frame at its top level (pipeline, organization_id, …).
  std::map<std::string, std::string> custom_parameters;
  std::vector<std::string> tracks = {"inbound"};  // Twilio start.tracks ("inbound", "outbound")

  // The call's audio format. Twilio: 8000 and 1 only (mu-law). jambonz: the metadata's
  // sampleRate (8000, 16000, 24000, 48000, 64000) and mixType (1: mono, 2: stereo, interleaved
  // with the caller on channel 0 and the called party on channel 1).
  unsigned sample_rate = 8000;
  unsigned channels = 1;

  // The audio to send, in the wire format (Twilio: mu-law; jambonz: S16LE at sample_rate,
  // interleaved when stereo). The last frame is padded with silence. Ignored when
  // frame_source is set.
  std::vector<uint8_t> audio;
  FrameSource frame_source;  // generated audio: frame_count frames of frame_bytes
  uint64_t frame_count = 0;
  size_t frame_bytes = 0;  // 0: 20 ms of the wire format (Twilio: 160 bytes)

  bool realtime = true;       // pace frames at their duration; false: as fast as possible
  double hold_seconds = 0;    // after the audio: keep the call up this long …
  bool hold_with_silence = true;  // … sending silence frames (else sending nothing)
  CallEnding ending = CallEnding::kStop;

  double connect_timeout_seconds = 10;
  // From hanging up (or starting to hold open) to the host's close; then we close 1000
  // ourselves and the result says timed_out.
  double close_timeout_seconds = 10;
  // Received audio starts playing this long after it reaches an empty playback buffer (a
  // jitter buffer; mod_audio_fork waits for 80 ms of audio before it starts). Marks wait for it.
  double playout_delay_seconds = 0;

  bool keep_received_audio = true;  // CallResult::received_audio
  bool keep_events = true;          // CallResult::events (one entry per received message)
  bool measure_latency = true;      // match echoed frames to sent ones by content
};

struct ReceivedEvent {
  std::string event;  // media, mark, clear (Twilio `clear`, jambonz `killAudio`), clearMarks, disconnect, other
  double at_ms;       // since the WebSocket opened
};

struct CallResult {
  bool connected = false;  // the WebSocket upgrade succeeded
  unsigned http_status = 0;  // of the upgrade request: 101, or e.g. 401 when refused
  std::string error;         // why the connect failed / the socket broke ("" when none)
  bool timed_out = false;    // the host did not close within close_timeout_seconds
  unsigned short close_code = 0;  // close code received from the host (0: none, 1006 if vanished)
  std::string close_reason;

  uint64_t frames_sent = 0;
  uint64_t frames_received = 0;  // audio messages (Twilio `media`, jambonz binary frames)
  uint64_t bytes_received = 0;   // audio bytes in them
  std::vector<uint8_t> received_audio;  // when keep_received_audio, in the host's wire format
  uint64_t messages_received = 0;
  uint64_t unparsable_messages = 0;
  std::vector<std::string> marks_received;  // in arrival order
  std::vector<std::string> marks_echoed;    // in echo order, played or cleared
  std::vector<std::string> marks_cleared;   // those echoed because a clear dropped their audio
  uint64_t marks_discarded = 0;  // beyond the protocol's pending-mark limit (jambonz: 30), never echoed
  unsigned clears_received = 0;
  uint64_t bytes_cleared = 0;  // received audio a clear dropped before it "played"
  std::vector<ReceivedEvent> events;

  // Echo measurements: each received chunk of one track's 20 ms is matched to the earliest sent
  // frame whose caller track (channel 0) has the same content.
  std::vector<double> latency_ms;  // one per matched frame, send → receive
  uint64_t frames_matched = 0;
  double connect_ms = -1;     // connect request → WebSocket open
  double first_echo_ms = -1;  // first frame sent → first matched frame back
};

class Caller {
 public:
  using DoneCallback = std::function<void(const CallResult&)>;

  Caller(GMainContext* ctx, CallerOptions options);
  ~Caller();  // an unfinished call is dropped; the callback is not called
  Caller(const Caller&) = delete;
  Caller& operator=(const Caller&) = delete;

  // Connects and runs the call; on_done runs once, on ctx's thread, when it is over (closed,
  // refused, failed, or timed out).
  void start(DoneCallback on_done);

  // While the call is up: a DTMF key now; hang up now (skipping the rest of the audio).
  void send_dtmf(const std::string& digit);
  void send_stop();

  bool finished() const;
  const CallResult& result() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Runs one call on a private GMainContext until it is over (for the CLI and simple tests).
CallResult run_call(CallerOptions options);

// p in [0,1] of values (sorted copy); 0 when empty.
double percentile(std::vector<double> values, double p);

}  // namespace mediaflow::dial
