// The AssemblyAI fake, driven by the codec over a real WebSocket (net::WebSocketClient): what
// the element will see once it is built on the vendor base, and proof the fake keeps the rules
// AssemblyAI documents.
#include "assemblyai_protocol.hpp"

#include "support/fake_assemblyai.hpp"
#include "support/websocket_probe.hpp"

#include <mediaflow/protocol/audio_chunker.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace aai = mediaflow::assemblyai;
using mediaflow::net::WebSocketClientOptions;
using mediaflow::net::WebSocketMessageType;
using mediaflow::test::FakeAssemblyAi;
using Probe = mediaflow::test::WebSocketProbe;

namespace {

constexpr const char* kKey = "test-key";

class AssemblyAiFake : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(fake_.start(), 0); }

  // Connects with the codec's URL; `key` goes raw into Authorization (none when empty).
  void connect(aai::StreamOptions options = {}, const std::string& key = kKey) {
    WebSocketClientOptions ws;
    ws.url = aai::build_url(fake_.url(), options);
    if (!key.empty()) ws.headers = {{aai::kAuthorizationHeader, key}};
    ASSERT_TRUE(probe_.connect(std::move(ws)));
    ASSERT_TRUE(probe_.wait_open());
  }

  // Every text message received so far, parsed by the codec.
  std::vector<aai::ServerMessage> received() {
    std::vector<aai::ServerMessage> out;
    for (const auto& [type, data] : probe_.record().messages)
      if (type == WebSocketMessageType::kText) out.push_back(aai::parse_server_message(data));
    return out;
  }

  template <typename T>
  std::vector<T> received_of() {
    std::vector<T> out;
    for (const auto& m : received())
      if (const auto* t = std::get_if<T>(&m)) out.push_back(*t);
    return out;
  }

  template <typename T>
  bool wait_for(std::size_t count, int timeout_ms = Probe::kWaitMs) {
    return mediaflow::test::wait_until([&] { return received_of<T>().size() >= count; }, timeout_ms);
  }

  // `ms` of 16 kHz speech-like bytes, cut into 20 ms frames and batched into AssemblyAI's
  // message sizes (the last one padded to 50 ms).
  void send_audio(int ms, int chunk_ms = 100) {
    mediaflow::protocol::AudioChunker chunker({16000, 2, 0}, chunk_ms, aai::kMinChunkMs);
    const std::vector<std::uint8_t> frame(640, 0x10);
    for (int t = 0; t < ms; t += 20) {
      chunker.push(frame);
      for (auto chunk = chunker.pop(); !chunk.empty(); chunk = chunker.pop()) send_binary(chunk);
    }
    for (auto chunk = chunker.pop_rest(); !chunk.empty(); chunk = chunker.pop_rest()) send_binary(chunk);
  }
  void send_binary(std::span<const std::uint8_t> bytes) {
    probe_.with_client([&](auto& c) { c.send_binary(bytes.data(), bytes.size()); });
  }
  void send_text(const std::string& text) {
    probe_.with_client([&](auto& c) { c.send_text(text); });
  }
  bool wait_closed() {
    return probe_.wait([](const Probe::Record& r) { return r.closed; });
  }

  FakeAssemblyAi fake_{kKey};
  Probe probe_;
};

}  // namespace

TEST_F(AssemblyAiFake, SendsBeginTurnsAndTerminationLikeTheDocumentedSequence) {
  fake_.set_rate_allowance_ms(60000);  // this test is about the sequence, not pacing
  connect();
  ASSERT_TRUE(wait_for<aai::Begin>(1));
  EXPECT_EQ(received_of<aai::Begin>()[0].id, "fake-0");
  EXPECT_GT(received_of<aai::Begin>()[0].expires_at, 0);

  send_audio(2000);  // four words: one turn
  ASSERT_TRUE(wait_for<aai::Turn>(5));
  const auto turns = received_of<aai::Turn>();
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(turns[i].end_of_turn);
    ASSERT_EQ(turns[i].words.size(), std::size_t(i + 1));
    EXPECT_FALSE(turns[i].words.back().is_final);  // the newest word is still in progress
    EXPECT_FALSE(aai::segment_of(turns[i], false).is_final);
  }
  EXPECT_EQ(turns[2].transcript, "word0 word1");
  EXPECT_TRUE(turns[4].end_of_turn);
  EXPECT_EQ(turns[4].transcript, "word0 word1 word2 word3");
  EXPECT_EQ(turns[4].turn_order, 0);
  const auto segment = aai::segment_of(turns[4], false);
  EXPECT_TRUE(segment.is_final);
  EXPECT_TRUE(segment.end_of_utterance);
  EXPECT_DOUBLE_EQ(segment.start, 0.0);
  EXPECT_DOUBLE_EQ(segment.duration, 1.9);  // word3 ends at 1500 + 400 ms
  EXPECT_DOUBLE_EQ(turns[4].words[3].start, 1.5);
  ASSERT_EQ(received_of<aai::SpeechStarted>().size(), 1u);
  EXPECT_DOUBLE_EQ(received_of<aai::SpeechStarted>()[0].timestamp, 0.0);

  send_text(aai::encode_control(aai::Control::kTerminate));
  ASSERT_TRUE(wait_closed());
  EXPECT_EQ(probe_.record().close_code, 1000);
  ASSERT_EQ(received_of<aai::Termination>().size(), 1u);
  EXPECT_DOUBLE_EQ(received_of<aai::Termination>()[0].audio_duration_s, 2);
  const auto session = fake_.sessions().at(0);
  EXPECT_EQ(session.authorization, kKey);
  EXPECT_EQ(session.query.at("sample_rate"), "16000");
  EXPECT_EQ(session.audio.size(), 64000u);
  EXPECT_EQ(session.message_ms, std::vector<double>(20, 100.0));
  EXPECT_EQ(session.controls, std::vector<std::string>{"Terminate"});
}

TEST_F(AssemblyAiFake, FormattedTurnsEndTwiceAndAreFinalOnce) {
  fake_.set_rate_allowance_ms(60000);
  aai::StreamOptions options;
  options.format_turns = true;
  connect(options);
  send_audio(2000);
  ASSERT_TRUE(wait_for<aai::Turn>(6));
  const auto turns = received_of<aai::Turn>();
  EXPECT_TRUE(turns[4].end_of_turn);
  EXPECT_FALSE(turns[4].turn_is_formatted);
  EXPECT_TRUE(turns[5].end_of_turn);
  EXPECT_TRUE(turns[5].turn_is_formatted);
  EXPECT_EQ(turns[5].transcript, "Word0 word1 word2 word3.");
  int finals = 0;
  for (const auto& t : turns) finals += aai::segment_of(t, options.format_turns).is_final;
  EXPECT_EQ(finals, 1);
}

TEST_F(AssemblyAiFake, ForceEndpointEndsTheTurnNowAndKeepsTheSessionOpen) {
  fake_.set_rate_allowance_ms(60000);
  connect();
  send_audio(1000);
  ASSERT_TRUE(wait_for<aai::Turn>(2));
  send_text(aai::encode_control(aai::Control::kForceEndpoint));
  ASSERT_TRUE(wait_for<aai::Turn>(3));
  const auto end = received_of<aai::Turn>()[2];
  EXPECT_TRUE(end.end_of_turn);
  EXPECT_EQ(end.transcript, "word0 word1");
  send_text(aai::encode_control(aai::Control::kKeepAlive));
  // As AssemblyAI documents it (the element never reconfigures a session, so the codec has no
  // encoder for it).
  send_text(R"({"type":"UpdateConfiguration","end_of_turn_confidence_threshold":0.5,"max_turn_silence":800})");
  send_audio(1000);  // the next turn has the next number
  ASSERT_TRUE(wait_for<aai::Turn>(5));
  EXPECT_EQ(received_of<aai::Turn>()[4].turn_order, 1);
  EXPECT_EQ(received_of<aai::Turn>()[4].words[0].text, "word2");
  EXPECT_FALSE(probe_.record().closed);
  const auto session = fake_.sessions().at(0);
  EXPECT_EQ(session.controls, (std::vector<std::string>{"ForceEndpoint", "KeepAlive", "UpdateConfiguration"}));
  ASSERT_EQ(session.updates.size(), 1u);
  EXPECT_NE(session.updates[0].find("\"max_turn_silence\":800"), std::string::npos);
}

TEST_F(AssemblyAiFake, ClosesWith3007OnAChunkShorterThan50Ms) {
  connect();
  send_binary(std::vector<std::uint8_t>(640, 0));  // 20 ms: what a call frame is
  ASSERT_TRUE(wait_closed());
  EXPECT_EQ(probe_.record().close_code, 3007);
  EXPECT_EQ(probe_.record().close_reason, "Input duration violation: 20.0 ms. Expected between 50 and 1000 ms");
  const auto errors = received_of<aai::ServerError>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, 3007);
  EXPECT_EQ(errors[0].message, "Input Duration Error: Input duration violation: 20.0 ms. Expected between 50 and 1000 ms");
  EXPECT_FALSE(aai::describe_close(probe_.record().close_code).retry);
}

TEST_F(AssemblyAiFake, ClosesWith3007OnAChunkLongerThan1000Ms) {
  connect();
  send_binary(std::vector<std::uint8_t>(32000 + 320, 0));  // 1010 ms
  ASSERT_TRUE(wait_closed());
  EXPECT_EQ(probe_.record().close_code, 3007);
  EXPECT_NE(probe_.record().close_reason.find("1010.0 ms"), std::string::npos);
}

TEST_F(AssemblyAiFake, ClosesWith3007WhenAudioComesFasterThanRealTime) {
  connect();
  send_audio(3000);  // at once: 3 s of audio in a few ms (2 s over the allowance: robust under load)
  ASSERT_TRUE(wait_closed());
  EXPECT_EQ(probe_.record().close_code, 3007);
  EXPECT_EQ(probe_.record().close_reason.rfind("Audio Transmission Rate Exceeded", 0), 0u);
}

TEST_F(AssemblyAiFake, AcceptsAudioPacedToRealTime) {
  connect();
  mediaflow::protocol::AudioChunker chunker({16000, 2, 0}, 500, aai::kMinChunkMs);
  const auto opened = std::chrono::steady_clock::now();
  std::uint64_t sent_ns = 0;
  for (int i = 0; i < 3; ++i) {  // 1.5 s in 500 ms chunks, each sent once the audio before it has played
    chunker.push(std::vector<std::uint8_t>(16000, 0x10));
    const auto chunk = chunker.pop();
    const auto elapsed = std::uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::steady_clock::now() - opened).count());
    std::this_thread::sleep_for(std::chrono::nanoseconds(mediaflow::protocol::pacing_delay_ns(sent_ns, elapsed)));
    send_binary(chunk);
    sent_ns += 500'000'000;
  }
  ASSERT_TRUE(wait_for<aai::Turn>(3));
  EXPECT_FALSE(probe_.record().closed);
}

TEST_F(AssemblyAiFake, RefusesAMissingOrWrongKeyWith1008) {
  connect({}, "");
  ASSERT_TRUE(wait_closed());
  EXPECT_EQ(probe_.record().close_code, 1008);
  EXPECT_EQ(probe_.record().close_reason, "Unauthorized Connection: Missing Authorization header");
  ASSERT_EQ(received_of<aai::ServerError>().size(), 1u);
  EXPECT_EQ(received_of<aai::ServerError>()[0].code, 1008);
  EXPECT_TRUE(received_of<aai::Begin>().empty());
  EXPECT_FALSE(aai::describe_close(1008).retry);

  Probe wrong;
  WebSocketClientOptions ws;
  ws.url = aai::build_url(fake_.url(), {});
  ws.headers = {{aai::kAuthorizationHeader, "Token test-key"}};  // AssemblyAI wants the key raw
  ASSERT_TRUE(wrong.connect(std::move(ws)));
  ASSERT_TRUE(wrong.wait([](const Probe::Record& r) { return r.closed; }));
  EXPECT_EQ(wrong.record().close_code, 1008);
  EXPECT_FALSE(fake_.sessions().at(1).authorized);
}

TEST_F(AssemblyAiFake, RefuseAuthHookRefusesEvenTheRightKey) {
  fake_.refuse_auth(true);
  connect();
  ASSERT_TRUE(wait_closed());
  EXPECT_EQ(probe_.record().close_code, 1008);
}

TEST_F(AssemblyAiFake, TakesATemporaryTokenOnce) {
  aai::StreamOptions options;
  options.token = fake_.issue_token();
  connect(options, "");
  ASSERT_TRUE(wait_for<aai::Begin>(1));
  EXPECT_TRUE(fake_.sessions().at(0).authorized);

  Probe again;
  WebSocketClientOptions ws;
  ws.url = aai::build_url(fake_.url(), options);
  ASSERT_TRUE(again.connect(std::move(ws)));
  ASSERT_TRUE(again.wait([](const Probe::Record& r) { return r.closed; }));
  EXPECT_EQ(again.record().close_code, 1008);
}

TEST_F(AssemblyAiFake, RefusedHandshakeIsAnHttpStatus) {
  fake_.refuse_handshake(503);
  WebSocketClientOptions ws;
  ws.url = aai::build_url(fake_.url(), {});
  ASSERT_TRUE(probe_.connect(std::move(ws)));
  ASSERT_TRUE(probe_.wait([](const Probe::Record& r) { return r.failure.has_value(); }));
  EXPECT_EQ(probe_.record().failure->http_status, 503u);
  EXPECT_EQ(fake_.handshakes(), 1);
}

TEST_F(AssemblyAiFake, DropsTheFirstSessionAfterNMessagesWith3005) {
  fake_.set_rate_allowance_ms(60000);
  fake_.drop_after_messages(3);
  connect();
  send_audio(500);  // five messages
  ASSERT_TRUE(wait_closed());
  EXPECT_EQ(probe_.record().close_code, 3005);
  EXPECT_TRUE(aai::describe_close(3005).retry);
  EXPECT_EQ(fake_.sessions().at(0).audio.size(), 3u * 3200);  // nothing read after the drop

  Probe second;  // later sessions are left alone
  WebSocketClientOptions ws;
  ws.url = aai::build_url(fake_.url(), {});
  ws.headers = {{aai::kAuthorizationHeader, kKey}};
  ASSERT_TRUE(second.connect(std::move(ws)));
  ASSERT_TRUE(second.wait_open());
  const std::vector<std::uint8_t> chunk(3200, 0);
  for (int i = 0; i < 6; ++i) second.with_client([&](auto& c) { c.send_binary(chunk.data(), chunk.size()); });
  ASSERT_TRUE(second.wait([](const Probe::Record& r) { return r.messages.size() >= 3; }));  // Begin, SpeechStarted, Turn
  EXPECT_FALSE(second.record().closed);
}

TEST_F(AssemblyAiFake, DelaysEveryServerMessage) {
  fake_.set_reply_delay_ms(300);
  const auto before = std::chrono::steady_clock::now();
  connect();
  ASSERT_TRUE(wait_for<aai::Begin>(1));
  EXPECT_GE(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(300));
}

TEST_F(AssemblyAiFake, ClosesWith3006OnInvalidMessagesAndParameters) {
  connect();
  send_text("not json");
  ASSERT_TRUE(wait_closed());
  EXPECT_EQ(probe_.record().close_code, 3006);
  EXPECT_EQ(probe_.record().close_reason, "Invalid JSON: not json");

  Probe unknown;
  WebSocketClientOptions ws;
  ws.url = aai::build_url(fake_.url(), {});
  ws.headers = {{aai::kAuthorizationHeader, kKey}};
  ASSERT_TRUE(unknown.connect(ws));
  ASSERT_TRUE(unknown.wait_open());
  unknown.with_client([](auto& c) { c.send_text(R"({"type":"Finalize"})"); });
  ASSERT_TRUE(unknown.wait([](const Probe::Record& r) { return r.closed; }));
  EXPECT_EQ(unknown.record().close_reason, "Invalid Message Type: Finalize");

  Probe bad_rate;
  aai::StreamOptions options;
  options.sample_rate = 0;
  ws.url = aai::build_url(fake_.url(), options);
  ASSERT_TRUE(bad_rate.connect(ws));
  ASSERT_TRUE(bad_rate.wait([](const Probe::Record& r) { return r.closed; }));
  EXPECT_EQ(bad_rate.record().close_code, 3006);
}
