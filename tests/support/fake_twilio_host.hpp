// A protocol-faithful stand-in for the host side of Twilio Media Streams, for testing the
// simulated caller (mediaflow::dial::TwilioCaller) without the real host: a libsoup
// WebSocket server on 127.0.0.1 (own thread and loop) at /rtm/voice that records what the
// caller sends and answers like a bidirectional stream would — echoes inbound media back as
// outbound media, sends scripted audio/marks/clears, closes 1000 after `stop`.
#pragma once

#include <mediaflow/protocol/twilio_envelope.hpp>

#include <glib.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mediaflow::test {

struct FakeHostBehaviour {
  bool echo_media = true;        // send each inbound media payload back as outbound media
  std::string required_token;    // when set: 401 unless path /jwt/<t>, ?token=<t> or x-media-auth
  // Right after `start`: this much outbound audio (mu-law 0x55 bytes), then these marks.
  size_t greeting_bytes = 0;
  std::vector<std::string> greeting_marks;
  uint64_t clear_after_frames = 0;  // send `clear` once this many inbound frames arrived (0: never)
  bool close_on_stop = true;
  unsigned close_delay_ms = 100;  // after `stop`, before the close (lets late echoes arrive)
};

struct FakeHostCall {
  std::string path;
  std::string query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::vector<std::string> events;              // event names in arrival order
  protocol::twilio::StartEvent start;
  uint64_t start_sequence = 0;
  std::vector<uint64_t> sequence_numbers;  // of every message after start, in order
  std::vector<uint64_t> chunks;            // of media
  std::vector<uint64_t> timestamps_ms;     // of media
  std::vector<uint8_t> audio;              // inbound payloads, concatenated
  std::vector<std::string> dtmf;
  std::vector<std::string> marks_echoed;   // marks the caller sent back
  std::vector<double> mark_echo_delay_ms;  // per echoed mark: since the host sent it
  bool stop_received = false;
  bool closed = false;
  unsigned short close_code = 0;  // what the caller sent (0 when the socket just vanished)
  std::string close_reason;
};

class FakeTwilioHost {
 public:
  explicit FakeTwilioHost(FakeHostBehaviour behaviour = {});
  ~FakeTwilioHost();
  FakeTwilioHost(const FakeTwilioHost&) = delete;
  FakeTwilioHost& operator=(const FakeTwilioHost&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& suffix = "") const;  // ws://127.0.0.1:<port>/rtm/voice<suffix>

  // A snapshot of every call so far (thread-safe).
  std::vector<FakeHostCall> calls() const;
  // Waits (up to timeout) until `count` calls have closed on the host side.
  bool wait_closed(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace mediaflow::test
