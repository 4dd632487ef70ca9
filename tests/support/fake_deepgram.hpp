// A protocol-faithful fake of Deepgram live transcription (docs: shared/protocols.md §3), for
// tests and the load generator: a libsoup 3 WebSocket server on 127.0.0.1 with its own thread.
//
// Behaviour: checks "Authorization: Token <key>" (401 + dg-error otherwise), records the query
// parameters and every audio byte per connection. For each half second of audio received it
// answers like Deepgram: an interim Results "second N" (is_final false; SpeechStarted first,
// for even N when vad_events=true), then a final Results "second N" (start N, duration 1,
// speech_final for odd N, followed by UtteranceEnd when utterance_end_ms is set). KeepAlive
// gets no reply; Finalize flushes the partial second as a final result (from_finalize);
// CloseStream flushes, sends Metadata and closes with 1000. Times are seconds since the first
// byte of the connection (Deepgram's times restart on every connection).
//
// Benchmark (docs/benchmarks.md): a connection whose `tag` parameters include
// `bench_t0_ns=<CLOCK_MONOTONIC ns of caller frame 0>` has the ingest → vendor latency of each
// audio message measured (support/bench_latency.hpp) into one histogram for all connections.
#pragma once

#include "support/bench_latency.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mediaflow::test {

class FakeDeepgram {
 public:
  struct Connection {
    std::map<std::string, std::string> query;  // a repeated name keeps its last value
    std::vector<std::string> tags;              // every `tag` value, in order
    std::string authorization;
    std::vector<std::uint8_t> audio;  // every binary byte processed, in order (keep_audio)
    std::uint64_t audio_bytes = 0;    // counted even when not kept
    std::size_t audio_messages = 0;   // binary messages received
    int keepalives = 0;
    bool finalize = false;
    bool close_stream = false;
    bool closed = false;
  };

  explicit FakeDeepgram(std::string api_key = "test-key");
  ~FakeDeepgram();
  FakeDeepgram(const FakeDeepgram&) = delete;
  FakeDeepgram& operator=(const FakeDeepgram&) = delete;

  // Listens on 127.0.0.1:port (0: any free port); returns the port.
  std::uint16_t start(std::uint16_t port = 0);
  void stop();
  std::uint16_t port() const;
  // ws://127.0.0.1:<port>/v1/listen — a base URL, as DEEPGRAM_WS_URL.
  std::string url() const;

  // Test hooks (set before the connection they concern).
  // The first connection is closed (1011, like Deepgram's NET-0001) once it has received
  // `bytes` bytes; later connections are left alone.
  void drop_after_bytes(std::size_t bytes);
  // Every handshake is refused with this HTTP status (e.g. 401) and a dg-error header.
  void refuse_with_status(unsigned status);
  // After every final result, also send a non-JSON text frame and a message of unknown type.
  void send_garbage(bool on);
  // Receive and record, but never answer (no results, CloseStream ignored).
  void stall(bool on);

  // Keep every audio byte in connections() (default); off for long runs under load.
  void keep_audio(bool on);

  struct IngestLatency {
    std::size_t connections = 0;  // connections that carried bench_t0_ns
    bench::LatencyHistogram histogram;  // one sample per audio message on those
  };
  IngestLatency ingest_latency() const;

  // Handshake requests seen (refused ones included).
  int handshakes() const;
  std::vector<Connection> connections() const;
  // Polls `predicate` (under no lock) until true or `timeout_ms`; returns its last value.
  static bool wait_until(const std::function<bool()>& predicate, int timeout_ms);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mediaflow::test
