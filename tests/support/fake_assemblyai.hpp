// A protocol-faithful fake of AssemblyAI Universal-Streaming v3 (plugins/asr_assemblyai/README.md
// lists the documentation it follows), for tests: a libsoup 3 WebSocket server on 127.0.0.1
// with its own thread (LoopbackSoupServer).
//
// Behaviour, as documented:
//  - Auth: the API key raw in `Authorization`, or `?token=` with a temporary token from
//    issue_token() (single use). Otherwise the session opens and ends with an Error frame and
//    close 1008 "Unauthorized Connection: …". `sample_rate` must be a positive integer and
//    `encoding` pcm_s16le|pcm_mulaw (else Error + 3006).
//  - Begin {id, expires_at} on connect.
//  - Audio: every binary message must hold 50–1000 ms of audio and the session may never be
//    more than `rate_allowance_ms` (default 1000: one maximal message) ahead of real time;
//    else Error + close 3007 ("Input duration violation: 25.0 ms. Expected between 50 and
//    1000 ms" / "Audio Transmission Rate Exceeded: …").
//  - Transcript: word k spans [k·500, k·500+400] ms of the session's audio and reads "word<k>".
//    Each completed 500 ms sends a partial Turn (its newest word not yet final; SpeechStarted
//    before a turn's first word); every `words_per_turn` words (default 4) the turn ends with an
//    end_of_turn Turn, followed, when format_turns=true, by the formatted one ("Word0 word1
//    word2 word3.").
//  - ForceEndpoint ends the current turn now; KeepAlive and UpdateConfiguration are recorded;
//    Terminate ends the turn, sends Termination and closes 1000. Invalid JSON, a message
//    without a known type: Error + 3006.
// Hooks: refuse every session (1008) or every handshake (an HTTP status), close the first
// session with 3005 after N client messages, delay every server message, follow every
// end-of-turn Turn with a frame that is not JSON and a message of a type the codec does not
// know (what a client must ignore).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mediaflow::test {

class FakeAssemblyAi {
 public:
  struct Session {
    std::map<std::string, std::string> query;
    std::string authorization;  // the header as received ("" when absent)
    bool authorized = false;
    std::vector<std::uint8_t> audio;      // every binary byte, in order
    std::vector<double> message_ms;       // the audio duration of each binary message
    std::vector<std::string> controls;    // the type of every text message, in order
    std::vector<std::string> updates;     // every UpdateConfiguration as received
    int turns_sent = 0;                   // Turn messages sent
    std::uint16_t close_code = 0;         // the fake's own close (0: it did not close)
    bool closed = false;
  };

  explicit FakeAssemblyAi(std::string api_key = "test-key");
  ~FakeAssemblyAi();
  FakeAssemblyAi(const FakeAssemblyAi&) = delete;
  FakeAssemblyAi& operator=(const FakeAssemblyAi&) = delete;

  std::uint16_t start(std::uint16_t port = 0);  // 0: any free port; returns the port (0: failed)
  void stop();
  std::uint16_t port() const;
  std::string url() const;  // ws://127.0.0.1:<port>/v3/ws

  // A temporary token the fake accepts once as `?token=` (AssemblyAI mints them by REST).
  std::string issue_token();

  // Hooks (set before the session they concern).
  void refuse_auth(bool on);                  // every session: Error + 1008, even with the key
  void refuse_handshake(unsigned status);     // every upgrade answered with this HTTP status
  void drop_after_messages(std::size_t n);    // the first session: Error + 3005 after n messages
  void set_reply_delay_ms(unsigned ms);       // every server message goes out this late
  void set_words_per_turn(unsigned n);
  void set_rate_allowance_ms(unsigned ms);
  void send_garbage(bool on);

  int handshakes() const;
  std::vector<Session> sessions() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mediaflow::test
