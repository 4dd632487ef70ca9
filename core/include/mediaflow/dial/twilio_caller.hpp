// A simulated Twilio Media Streams caller: the Twilio side of one bidirectional
// `<Connect><Stream>` call, over a real WebSocket (libsoup 3).
//
// It connects to ws://host:port/rtm/voice[/jwt/<token>][?token=…] (optional extra headers such
// as x-media-auth), sends `connected`, `start`, the audio as `media` frames (20 ms / 160 bytes
// by default; chunk, timestamp and sequenceNumber as Twilio numbers them), then `stop` — or
// holds the socket open, or drops it without a close frame. It plays what the host sends back
// like Twilio does: `media` is queued on a playback clock that advances in real time; a `mark`
// is echoed once the audio before it has played (at once in fast mode); a `clear` drops the
// un-played audio and echoes every pending mark.
//
// Everything runs on the GMainContext given to the constructor, so one thread can drive
// thousands of callers (the load generator does). Create, start and destroy a caller on the
// thread that iterates that context; callbacks run there too.
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

// How the caller ends the call once its audio (and hold time) is sent.
enum class CallEnding {
  kStop,      // send `stop`, then wait for the host to close the WebSocket (as Twilio does)
  kHoldOpen,  // send nothing more; wait until the host closes (idle timeout, drain, …)
  kVanish,    // drop the TCP connection without a close frame (a network failure)
};

// Fills `out` (frame_bytes long) with the mu-law payload of frame `index` (0-based).
using FrameSource = std::function<void(uint64_t index, std::span<uint8_t> out)>;

struct CallerOptions {
  std::string url;  // ws://127.0.0.1:8080/rtm/voice, …/jwt/<token>, …?token=<token>
  std::vector<std::pair<std::string, std::string>> headers;  // extra upgrade request headers

  std::string account_sid = "AC00000000000000000000000000000000";
  std::string call_sid = "CA00000000000000000000000000000000";
  std::string stream_sid = "MZ00000000000000000000000000000000";
  std::map<std::string, std::string> custom_parameters;  // start.customParameters
  std::vector<std::string> tracks = {"inbound"};          // start.tracks ("inbound", "outbound")

  // The audio to send, raw mu-law 8 kHz mono. The last frame is padded with mu-law silence
  // (0xFF) to a full frame. Ignored when frame_source is set.
  std::vector<uint8_t> audio;
  FrameSource frame_source;  // generated audio: frame_count frames of frame_bytes
  uint64_t frame_count = 0;
  size_t frame_bytes = 160;  // 160 bytes = 20 ms

  bool realtime = true;       // pace frames at their duration; false: as fast as possible
  double hold_seconds = 0;    // after the audio: keep the call up this long …
  bool hold_with_silence = true;  // … sending silence frames (else sending nothing)
  CallEnding ending = CallEnding::kStop;

  double connect_timeout_seconds = 10;
  // From sending `stop` (or starting to hold open) to the host's close; then we close 1000
  // ourselves and the result says timed_out.
  double close_timeout_seconds = 10;

  bool keep_received_audio = true;  // CallResult::received_audio
  bool keep_events = true;          // CallResult::events (one entry per received message)
  bool measure_latency = true;      // match echoed frames to sent ones by content
};

struct ReceivedEvent {
  std::string event;  // media, mark, clear, or "other"
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
  uint64_t frames_received = 0;  // outbound `media` messages
  uint64_t bytes_received = 0;   // mu-law bytes in them
  std::vector<uint8_t> received_audio;  // when keep_received_audio
  uint64_t messages_received = 0;
  uint64_t unparsable_messages = 0;
  std::vector<std::string> marks_received;  // in arrival order
  std::vector<std::string> marks_echoed;    // in echo order
  unsigned clears_received = 0;
  uint64_t bytes_cleared = 0;  // received audio a clear dropped before it "played"
  std::vector<ReceivedEvent> events;

  // Echo measurements: each received frame_bytes chunk is matched to the earliest sent frame
  // with the same content.
  std::vector<double> latency_ms;  // one per matched frame, send → receive
  uint64_t frames_matched = 0;
  double connect_ms = -1;     // connect request → WebSocket open
  double first_echo_ms = -1;  // first frame sent → first matched frame back
};

class TwilioCaller {
 public:
  using DoneCallback = std::function<void(const CallResult&)>;

  TwilioCaller(GMainContext* ctx, CallerOptions options);
  ~TwilioCaller();  // an unfinished call is dropped; the callback is not called
  TwilioCaller(const TwilioCaller&) = delete;
  TwilioCaller& operator=(const TwilioCaller&) = delete;

  // Connects and runs the call; on_done runs once, on ctx's thread, when it is over (closed,
  // refused, failed, or timed out).
  void start(DoneCallback on_done);

  // While the call is up: a `dtmf` message now; `stop` now (skipping the rest of the audio).
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
