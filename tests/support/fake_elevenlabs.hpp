// A protocol-faithful fake of ElevenLabs Conversational AI (docs: shared/protocols.md §2), for
// tests, the load generator and benchmarks: a libsoup 3 server on 127.0.0.1 with its own
// thread and GMainContext.
//
//  - GET /v1/convai/conversation/get-signed-url?agent_id=… checks `xi-api-key` (401 otherwise)
//    and the agent (404), and answers {"signed_url":"ws://…/v1/convai/conversation?agent_id=…&
//    conversation_signature=<one-time token>"}.
//  - WS /v1/convai/conversation checks agent_id (403) and, when private (require_signed_url), a
//    token it issued and not yet used (403). It records the initiation message (dynamic
//    variables, overrides), every user_audio_chunk byte and every pong (event id, latency).
//    It sends conversation_initiation_metadata (formats configurable) when the initiation
//    message arrives (or with the first audio when there is none); then, with auto_reply, a
//    greeting: agent_response + `greeting_ms` of agent audio in 4 events with event_id 1.
//  - Pings every `ping_interval_ms` (0: none); the test can also script any server message.
//  - Benchmark (bench_stream, docs/benchmarks.md): from metadata on, one `audio` event every
//    20 ms of real time (deadline-driven, no drift) for as long as the conversation lasts, each
//    160 bytes of ulaw_8000 stamped with the CLOCK_MONOTONIC ns at which it was sent
//    (support/bench_latency.hpp: "MFTS" + LE uint64, then 0xFF).
//  - Hooks: refuse the signed URL or the handshake with a status, drop after N audio bytes,
//    stall (answer nothing, not even metadata), garbage (a non-JSON frame after metadata).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mediaflow::test {

class FakeElevenLabs {
 public:
  struct Conversation {
    std::string agent_id;
    bool signed_token = false;          // connected with a token we issued
    std::string initiation;             // the raw initiation message ("" when none)
    std::map<std::string, std::string> dynamic_variables;  // values as JSON text ("\"Jane\"", "true")
    std::string first_message, language;
    std::vector<std::uint8_t> user_audio;  // every decoded user_audio_chunk byte, in order (keep_audio)
    std::uint64_t user_audio_bytes = 0;    // counted even when not kept
    std::vector<std::uint64_t> pong_ids;
    std::vector<double> pong_latency_ms;
    std::vector<std::string> other_messages;  // client messages other than audio/pong/initiation
    bool metadata_sent = false;
    bool closed = false;
  };

  explicit FakeElevenLabs(std::string api_key = "test-key", std::string agent_id = "agent_test");
  ~FakeElevenLabs();
  FakeElevenLabs(const FakeElevenLabs&) = delete;
  FakeElevenLabs& operator=(const FakeElevenLabs&) = delete;

  std::uint16_t start(std::uint16_t port = 0);  // 0: any free port; returns the port (0: failed)
  void stop();
  std::uint16_t port() const;
  std::string ws_url() const;   // ws://127.0.0.1:<port>/v1/convai/conversation (ELEVENLABS_WS_URL)
  std::string api_url() const;  // http://127.0.0.1:<port> (ELEVENLABS_API_URL)

  // Configuration (before the conversation it concerns).
  void set_formats(const std::string& user_input, const std::string& agent_output);  // "ulaw_8000", …
  void require_signed_url(bool on);   // private agent: the WS needs a token from get-signed-url
  void set_ping_interval_ms(unsigned ms);
  void set_auto_reply(bool on, unsigned greeting_ms = 1000);
  void refuse_signed_url(unsigned status);
  void refuse_handshake(unsigned status);
  void drop_after_bytes(std::size_t bytes);  // close 1011 once a conversation got this much audio
  void stall(bool on);
  void send_garbage(bool on);
  void set_bench_stream(bool on);
  void keep_audio(bool on);  // keep user audio in conversations() (default); off under load

  // Scripted server messages to conversation `index` (sent on the server thread, in order).
  void send_audio(std::size_t index, const std::vector<std::uint8_t>& audio, std::uint64_t event_id);
  void send_interruption(std::size_t index, std::uint64_t event_id);
  void send_ping(std::size_t index, std::uint64_t event_id);
  void send_raw(std::size_t index, const std::string& text);
  void close(std::size_t index, unsigned short code);
  // Runs on the server thread after every message received (for reactions timed by the fake).
  void on_client_message(std::function<void(std::size_t index, const std::string& kind)> fn);

  int signed_url_requests() const;
  int handshakes() const;
  std::vector<Conversation> conversations() const;
  static bool wait_until(const std::function<bool()>& predicate, int timeout_ms);

  // Deterministic agent audio in `format` ("ulaw_8000", "pcm_16000", …): `ms` long, seeded.
  static std::vector<std::uint8_t> agent_audio(const std::string& format, unsigned ms, std::uint8_t seed);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mediaflow::test
