// The ElevenLabs stream-input fake, driven by the codec over a real WebSocket
// (net::WebSocketClient): what the TTS element will see once it is built on the vendor base, and
// proof the fake keeps the rules ElevenLabs documents.
#include "elevenlabs_tts_protocol.hpp"

#include "support/fake_elevenlabs_tts.hpp"
#include "support/websocket_probe.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace tts = mediaflow::elevenlabs_tts;
namespace el = mediaflow::elevenlabs;
using mediaflow::net::WebSocketClientOptions;
using mediaflow::net::WebSocketMessageType;
using mediaflow::test::FakeElevenLabsTts;
using Probe = mediaflow::test::WebSocketProbe;

namespace {

constexpr const char* kKey = "test-key";

// What the client got, read with the codec: the audio concatenated, every message's kind.
struct Heard {
  std::vector<std::uint8_t> audio;
  std::string spoken;  // the alignment's characters, concatenated
  std::vector<tts::MessageKind> kinds;
  std::vector<std::string> errors;
  std::uint32_t last_chunk_ms = 0;  // the end of the last character of the last audio message
};

class ElevenLabsTtsFake : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(fake_.start(), 0); }

  WebSocketClientOptions options(const std::string& format = "ulaw_8000", const std::string& key = kKey,
                                 const std::string& extra_query = "") {
    tts::StreamOptions o;
    o.voice_id = "voice_1";
    o.model_id = "eleven_flash_v2_5";
    o.output_format = el::parse_audio_format(format).value_or(el::AudioFormat{});
    WebSocketClientOptions ws;
    ws.url = tts::build_stream_url(fake_.url(), o) + extra_query;
    if (!key.empty()) ws.headers = {{tts::kApiKeyHeader, key}};
    return ws;
  }
  void connect(WebSocketClientOptions ws) {
    ASSERT_TRUE(probe_.connect(std::move(ws)));
    ASSERT_TRUE(probe_.wait_open());
  }
  void send(const std::string& text) {
    probe_.with_client([&](auto& c) { c.send_text(text); });
  }
  Heard heard() {
    Heard h;
    tts::ServerMessageParser parser;
    for (const auto& [type, data] : probe_.record().messages) {
      std::vector<std::uint8_t> buffer(tts::ServerMessageParser::max_audio_bytes(data.size()));
      const auto m = parser.parse(data, buffer);
      h.kinds.push_back(m.kind);
      if (m.kind == tts::MessageKind::kError) h.errors.emplace_back(m.error);
      if (m.kind != tts::MessageKind::kAudio) continue;
      h.audio.insert(h.audio.end(), buffer.begin(), buffer.begin() + long(m.audio_bytes));
      if (!m.alignment) continue;
      for (auto c : m.alignment->chars) h.spoken += c;
      h.last_chunk_ms = m.alignment->start_ms.back() + m.alignment->duration_ms.back();
    }
    return h;
  }
  bool wait_messages(std::size_t n) {
    return probe_.wait([n](const Probe::Record& r) { return r.messages.size() >= n; });
  }
  bool wait_closed() {
    return probe_.wait([](const Probe::Record& r) { return r.closed; });
  }

  FakeElevenLabsTts fake_{kKey};
  Probe probe_;
};

}  // namespace

TEST_F(ElevenLabsTtsFake, SpeaksFlushedTextAsTheToneWithItsAlignment) {
  connect(options());
  send(tts::encode_initial({}));
  send(tts::encode_text("Hello there", tts::Trigger::kFlush));
  ASSERT_TRUE(wait_messages(1));
  const Heard h = heard();
  EXPECT_EQ(h.spoken, "Hello there ");
  EXPECT_EQ(h.audio.size(), 12u * 160);  // 12 characters × 20 ms of 8 kHz mu-law
  EXPECT_EQ(h.audio, FakeElevenLabsTts::tone("ulaw_8000", h.audio.size()));
  EXPECT_EQ(h.last_chunk_ms, 240u);
  EXPECT_FALSE(probe_.record().closed);  // a flush keeps the stream open
  const auto stream = fake_.streams().at(0);
  EXPECT_EQ(stream.voice_id, "voice_1");
  EXPECT_EQ(stream.query.at("model_id"), "eleven_flash_v2_5");
  EXPECT_EQ(stream.api_key, kKey);
  EXPECT_EQ(stream.initial, R"({"text":" "})");
  EXPECT_EQ(stream.flushes, 1);
}

TEST_F(ElevenLabsTtsFake, EndOfInputSpeaksTheRestSendsIsFinalAndCloses) {
  fake_.set_ms_per_char(100);  // 100 ms a character: five characters a message
  connect(options("pcm_16000"));
  send(tts::encode_initial({}));
  send(tts::encode_text("The quick brown fox jumps over"));  // 31 with the space: below the schedule
  send(tts::encode_end_of_input());
  ASSERT_TRUE(wait_closed());
  EXPECT_EQ(probe_.record().close_code, 1000);
  const Heard h = heard();
  ASSERT_FALSE(h.kinds.empty());
  EXPECT_EQ(h.kinds.back(), tts::MessageKind::kFinal);
  EXPECT_EQ(h.kinds.size(), 8u);  // 7 audio messages (31 × 100 ms, ≤ 500 ms each), then the final
  EXPECT_EQ(h.audio.size(), 31u * 100 * 32);
  EXPECT_EQ(h.audio, FakeElevenLabsTts::tone("pcm_16000", h.audio.size()));
  EXPECT_EQ(h.spoken, "The quick brown fox jumps over ");
  const auto stream = fake_.streams().at(0);
  EXPECT_TRUE(stream.end_of_input);
  EXPECT_TRUE(stream.final_sent);
}

TEST_F(ElevenLabsTtsFake, BuffersTextUntilTheChunkScheduleOrATrigger) {
  connect(options());
  tts::InitialMessage initial;
  initial.chunk_length_schedule = {50};
  send(tts::encode_initial(initial));
  send(tts::encode_text(std::string(29, 'a')));  // 30 characters: below 50
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_TRUE(probe_.record().messages.empty());
  send(tts::encode_text(std::string(29, 'b')));  // 60: spoken, in messages of 25 characters
  ASSERT_TRUE(wait_messages(3));
  EXPECT_EQ(heard().spoken, std::string(29, 'a') + " " + std::string(29, 'b') + " ");

  Probe trigger;  // the default schedule (120) with try_trigger_generation from 50 characters
  ASSERT_TRUE(trigger.connect(options()));
  ASSERT_TRUE(trigger.wait_open());
  trigger.with_client([](auto& c) {
    c.send_text(tts::encode_initial({}));
    c.send_text(tts::encode_text(std::string(59, 'c'), tts::Trigger::kTryTriggerGeneration));
  });
  ASSERT_TRUE(trigger.wait([](const Probe::Record& r) { return !r.messages.empty(); }));
  EXPECT_EQ(fake_.streams().at(1).triggers, 1);
}

TEST_F(ElevenLabsTtsFake, AutoModeSpeaksEveryMessage) {
  connect(options("ulaw_8000", kKey, "&auto_mode=true"));
  send(tts::encode_initial({}));
  send(tts::encode_text("Hi."));
  ASSERT_TRUE(wait_messages(1));
  EXPECT_EQ(heard().spoken, "Hi. ");
}

TEST_F(ElevenLabsTtsFake, RefusesAWrongKeyWithAnErrorAnd1008) {
  connect(options("ulaw_8000", "wrong"));
  send(tts::encode_initial({}));
  ASSERT_TRUE(wait_closed());
  EXPECT_EQ(probe_.record().close_code, 1008);
  EXPECT_EQ(heard().errors, std::vector<std::string>{"invalid_api_key"});
}

TEST_F(ElevenLabsTtsFake, TakesTheKeyFromTheFirstMessageToo) {
  connect(options("ulaw_8000", ""));
  send(R"({"text":" ","xi_api_key":"test-key"})");
  send(tts::encode_text("Hi", tts::Trigger::kFlush));
  ASSERT_TRUE(wait_messages(1));
  EXPECT_EQ(heard().kinds.at(0), tts::MessageKind::kAudio);
}

TEST_F(ElevenLabsTtsFake, RefuseAuthHookRefusesEvenTheRightKey) {
  fake_.refuse_auth(true);
  connect(options());
  send(tts::encode_initial({}));
  ASSERT_TRUE(wait_closed());
  EXPECT_EQ(probe_.record().close_code, 1008);
}

TEST_F(ElevenLabsTtsFake, TheFirstMessageMustBeASpace) {
  connect(options());
  send(tts::encode_text("Hello"));
  ASSERT_TRUE(wait_closed());
  EXPECT_EQ(probe_.record().close_code, 1008);
  EXPECT_EQ(heard().errors, std::vector<std::string>{"invalid_input_message"});
}

TEST_F(ElevenLabsTtsFake, RejectsMessagesOutsideTheSchema) {
  connect(options());
  send(R"({"txt":"Hello"})");
  ASSERT_TRUE(wait_closed());
  EXPECT_EQ(probe_.record().close_code, 1008);
  EXPECT_EQ(heard().errors, std::vector<std::string>{"invalid_input_message"});
}

TEST_F(ElevenLabsTtsFake, ClosesAnIdleStreamAfterItsInactivityTimeout) {
  connect(options("ulaw_8000", kKey, "&inactivity_timeout=1"));
  send(tts::encode_initial({}));
  ASSERT_TRUE(wait_closed());
  EXPECT_EQ(probe_.record().close_code, 1008);
  EXPECT_EQ(heard().errors, std::vector<std::string>{"input_timeout_exceeded"});
}

TEST_F(ElevenLabsTtsFake, RefusesHandshakesItCannotServe) {
  fake_.refuse_handshake(403);
  ASSERT_TRUE(probe_.connect(options()));
  ASSERT_TRUE(probe_.wait([](const Probe::Record& r) { return r.failure.has_value(); }));
  EXPECT_EQ(probe_.record().failure->http_status, 403u);

  fake_.refuse_handshake(0);
  Probe mp3;  // a format the fake does not synthesise
  auto ws = options();
  ws.url.replace(ws.url.find("ulaw_8000"), 9, "mp3_44100");
  ASSERT_TRUE(mp3.connect(std::move(ws)));
  ASSERT_TRUE(mp3.wait([](const Probe::Record& r) { return r.failure.has_value(); }));
  EXPECT_EQ(mp3.record().failure->http_status, 400u);
  EXPECT_EQ(fake_.handshakes(), 2);
}

TEST_F(ElevenLabsTtsFake, DropsTheFirstStreamAfterNMessages) {
  fake_.drop_after_messages(2);
  connect(options());
  send(tts::encode_initial({}));
  send(tts::encode_text("Hello", tts::Trigger::kFlush));
  ASSERT_TRUE(wait_closed());
  EXPECT_EQ(probe_.record().close_code, 1011);
  EXPECT_FALSE(heard().audio.empty());  // the second message was still answered

  Probe second;
  ASSERT_TRUE(second.connect(options()));
  ASSERT_TRUE(second.wait_open());
  second.with_client([](auto& c) {
    c.send_text(tts::encode_initial({}));
    c.send_text(tts::encode_text("Hello", tts::Trigger::kFlush));
    c.send_text(tts::encode_text("again", tts::Trigger::kFlush));
  });
  ASSERT_TRUE(second.wait([](const Probe::Record& r) { return r.messages.size() >= 2; }));
  EXPECT_FALSE(second.record().closed);
}

TEST_F(ElevenLabsTtsFake, DelaysEveryServerMessage) {
  fake_.set_reply_delay_ms(300);
  connect(options());
  const auto sent = std::chrono::steady_clock::now();
  send(tts::encode_initial({}));
  send(tts::encode_text("Hi", tts::Trigger::kFlush));
  ASSERT_TRUE(wait_messages(1));
  EXPECT_GE(std::chrono::steady_clock::now() - sent, std::chrono::milliseconds(300));
}
