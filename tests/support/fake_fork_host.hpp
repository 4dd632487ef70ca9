// A stand-in for the host side of a jambonz `listen` WebSocket (docs/jambonz.md), for testing
// the simulated jambonz caller without the real host: a libsoup WebSocket server on 127.0.0.1
// (own thread and loop) at /fork that selects subprotocol audio.jambonz.org, records the
// metadata frame and the binary PCM frames, and answers as scripted — echoes the caller's
// channel, sends scripted audio and marks, then killAudio, clearMarks or disconnect after a
// number of the caller's frames. It never closes first, as a host serving jambonz does not.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mediaflow::test {

struct ForkHostScript {
  bool select_subprotocol = true;  // false: answer the upgrade without choosing one
  bool echo_audio = true;          // send channel 0 of each binary frame back
  // Right after the metadata: this much PCM (mono, bytes), then these marks.
  size_t greeting_bytes = 0;
  std::vector<std::string> greeting_marks;
  // Once this many binary frames arrived (0: never): the command, once.
  uint64_t kill_audio_after_frames = 0;
  uint64_t clear_marks_after_frames = 0;
  uint64_t disconnect_after_frames = 0;
};

struct ForkHostCall {
  std::string offered_subprotocols;  // the request's Sec-WebSocket-Protocol
  std::string metadata;              // the first text frame
  std::vector<size_t> frame_bytes;   // of each binary frame
  std::vector<uint8_t> audio;        // the binary frames, concatenated
  std::vector<std::string> texts;    // text frames after the metadata, in order
  bool closed = false;
  unsigned short close_code = 0;     // what the caller sent (0: the socket just went)
};

class FakeForkHost {
 public:
  explicit FakeForkHost(ForkHostScript script = {});
  ~FakeForkHost();  // not copyable: it owns its server thread

  std::string url() const;  // ws://127.0.0.1:<port>/fork
  // The calls so far (thread-safe snapshot).
  std::vector<ForkHostCall> calls() const;
  bool wait_closed(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mediaflow::test
