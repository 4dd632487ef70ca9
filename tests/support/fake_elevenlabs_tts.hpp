// A protocol-faithful fake of ElevenLabs streaming text-to-speech, the `stream-input` WebSocket
// (plugins/tts_elevenlabs/README.md lists the documentation it follows), for tests: a libsoup 3
// server on 127.0.0.1 with its own thread (LoopbackSoupServer).
//
// Behaviour, as documented:
//  - WS /v1/text-to-speech/{voice_id}/stream-input?model_id=…&output_format=ulaw_8000|pcm_<rate>.
//  - The first message must be {"text":" ", …}; the key comes in the `xi-api-key` header (or the
//    first message's "xi-api-key"). A wrong key, a message that is not {"text": string}, or a
//    first text other than " ": an error frame {"message","error","code":1008} and close 1008.
//  - Text is buffered and spoken when the buffer reaches the chunk_length_schedule (default
//    [120,160,250,290], or the first message's generation_config), on try_trigger_generation
//    once 50 characters are buffered, on flush, and on {"text":""} — which then sends
//    {"audio":null,"isFinal":true,…} and closes 1000. auto_mode=true speaks every message.
//  - Speech is deterministic: `ms_per_char` (default 20) of a 440 Hz tone per character
//    (code point), continuous across the stream, in the requested format (tone() gives the
//    expected bytes), in audio messages of at most 500 ms, each with `alignment` and
//    `normalizedAlignment` {chars, charStartTimesMs, charDurationsMs} relative to the message.
//  - No text for inactivity_timeout seconds (default 20): error input_timeout_exceeded + 1008.
// Hooks: refuse every key, refuse every handshake (an HTTP status), close the first stream
// with 1011 after N client messages, delay every server message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mediaflow::test {

class FakeElevenLabsTts {
 public:
  struct Stream {
    std::string voice_id;
    std::map<std::string, std::string> query;
    std::string api_key;                // the xi-api-key header ("" when absent)
    std::string initial;                // the first message, as received
    std::vector<std::string> messages;  // every later text message, as received
    std::string text;                   // all text received, concatenated
    int flushes = 0;
    int triggers = 0;
    bool end_of_input = false;
    int audio_messages = 0;  // audio messages sent
    std::uint64_t audio_bytes = 0;
    bool final_sent = false;
    std::uint16_t close_code = 0;  // the fake's own close (0: it did not close)
    bool closed = false;
  };

  explicit FakeElevenLabsTts(std::string api_key = "test-key");
  ~FakeElevenLabsTts();
  FakeElevenLabsTts(const FakeElevenLabsTts&) = delete;
  FakeElevenLabsTts& operator=(const FakeElevenLabsTts&) = delete;

  std::uint16_t start(std::uint16_t port = 0);  // 0: any free port; returns the port (0: failed)
  void stop();
  std::uint16_t port() const;
  std::string url() const;  // ws://127.0.0.1:<port>: the base the codec appends the path to

  void refuse_auth(bool on);
  void refuse_handshake(unsigned status);
  void drop_after_messages(std::size_t n);  // the first stream: close 1011 after n messages
  void set_reply_delay_ms(unsigned ms);
  void set_ms_per_char(unsigned ms);

  int handshakes() const;
  std::vector<Stream> streams() const;

  // The first `bytes` bytes of the speech of any stream in `format` ("ulaw_8000", "pcm_16000", …).
  static std::vector<std::uint8_t> tone(const std::string& format, std::size_t bytes);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mediaflow::test
