// The ElevenLabs stream-input codec, directly (no GStreamer, no network). Example messages are
// the documented ones (AsyncAPI spec examples, error frames quoted in ElevenLabs' trackers).
#include "elevenlabs_tts_protocol.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tts = mediaflow::elevenlabs_tts;
namespace el = mediaflow::elevenlabs;

namespace {

std::string as_text(const std::vector<std::uint8_t>& buffer, std::size_t n) {
  return std::string(reinterpret_cast<const char*>(buffer.data()), n);
}

std::string joined(const tts::Alignment& a) {
  std::string out;
  for (auto c : a.chars) out += c;
  return out;
}

}  // namespace

TEST(ElevenLabsTtsProtocol, BuildsTheStreamUrl) {
  tts::StreamOptions o;
  o.voice_id = "21m00Tcm4TlvDq8ikWAM";
  EXPECT_EQ(tts::build_stream_url("wss://api.elevenlabs.io", o),
            "wss://api.elevenlabs.io/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream-input?output_format=ulaw_8000");
  o.voice_id = "voice/1 x";
  o.model_id = "eleven_flash_v2_5";
  o.output_format = {el::AudioEncoding::kPcm16, 16000};
  o.language_code = "de";
  o.inactivity_timeout_s = 60;
  o.auto_mode = true;
  EXPECT_EQ(tts::build_stream_url("wss://api.elevenlabs.io//", o),
            "wss://api.elevenlabs.io/v1/text-to-speech/voice%2F1%20x/stream-input?model_id=eleven_flash_v2_5"
            "&output_format=pcm_16000&language_code=de&inactivity_timeout=60&auto_mode=true");
  EXPECT_STREQ(tts::kApiKeyHeader, "xi-api-key");
}

TEST(ElevenLabsTtsProtocol, EncodesTheInitialMessage) {
  EXPECT_EQ(tts::encode_initial({}), R"({"text":" "})");
  tts::InitialMessage m;
  m.voice_settings = tts::VoiceSettings{};
  m.voice_settings->speed = 1.1;
  m.voice_settings->use_speaker_boost = false;
  m.chunk_length_schedule = {50, 120};
  EXPECT_EQ(tts::encode_initial(m),
            R"({"text":" ","voice_settings":{"stability":0.5,"similarity_boost":0.75,"speed":1.1,)"
            R"("use_speaker_boost":false},"generation_config":{"chunk_length_schedule":[50,120]}})");
  tts::InitialMessage only_schedule;
  only_schedule.chunk_length_schedule = {50};
  EXPECT_EQ(tts::encode_initial(only_schedule), R"({"text":" ","generation_config":{"chunk_length_schedule":[50]}})");
}

TEST(ElevenLabsTtsProtocol, EncodesTextEndingInOneSpace) {
  EXPECT_EQ(tts::encode_text("Hello world"), R"({"text":"Hello world "})");
  EXPECT_EQ(tts::encode_text("Hello "), R"({"text":"Hello "})");
  EXPECT_EQ(tts::encode_text(R"(Say "hi")"), R"({"text":"Say \"hi\" "})");
  EXPECT_EQ(tts::encode_text("Grüße\n"), "{\"text\":\"Grüße\\n \"}");
  EXPECT_EQ(tts::encode_text("", tts::Trigger::kFlush), R"({"text":" ","flush":true})");
  EXPECT_EQ(tts::encode_text("Go", tts::Trigger::kTryTriggerGeneration), R"({"text":"Go ","try_trigger_generation":true})");
  EXPECT_EQ(tts::encode_end_of_input(), R"({"text":""})");
}

TEST(ElevenLabsTtsProtocol, DecodesAudioIntoTheCallersBuffer) {
  const std::string message =
      R"({"audio":"Y3VyaW91cyBtaW5kcyB0aGluayBhbGlrZSA6KQ==","isFinal":null,)"
      R"("normalizedAlignment":{"chars":["c","u"],"charStartTimesMs":[0,3],"charDurationsMs":[3,4]},)"
      R"("alignment":{"chars":["C","u"],"charStartTimesMs":[0,3],"charDurationsMs":[3,5]}})";
  tts::ServerMessageParser parser;
  std::vector<std::uint8_t> buffer(tts::ServerMessageParser::max_audio_bytes(message.size()));
  const auto m = parser.parse(message, buffer);
  ASSERT_EQ(m.kind, tts::MessageKind::kAudio) << m.malformed;
  EXPECT_EQ(as_text(buffer, m.audio_bytes), "curious minds think alike :)");
  EXPECT_FALSE(m.is_final);
  ASSERT_NE(m.alignment, nullptr);
  ASSERT_NE(m.normalized_alignment, nullptr);
  EXPECT_EQ(joined(*m.alignment), "Cu");
  EXPECT_EQ(joined(*m.normalized_alignment), "cu");
  EXPECT_EQ(m.alignment->start_ms, (std::vector<std::uint32_t>{0, 3}));
  EXPECT_EQ(m.alignment->duration_ms, (std::vector<std::uint32_t>{3, 5}));
}

TEST(ElevenLabsTtsProtocol, ReadsTheSpecsSnakeCaseAlignmentAndNullAlignment) {
  tts::ServerMessageParser parser;
  std::vector<std::uint8_t> buffer(64);
  auto m = parser.parse(
      R"({"audio":"AAE=","alignment":{"chars":["\u00e9"],"char_start_times_ms":[7],"chars_durations_ms":[9]},"normalizedAlignment":null})",
      buffer);
  ASSERT_EQ(m.kind, tts::MessageKind::kAudio) << m.malformed;
  EXPECT_EQ(m.audio_bytes, 2u);
  ASSERT_NE(m.alignment, nullptr);
  EXPECT_EQ(joined(*m.alignment), "é");
  EXPECT_EQ(m.alignment->start_ms[0], 7u);
  EXPECT_EQ(m.alignment->duration_ms[0], 9u);
  EXPECT_EQ(m.normalized_alignment, nullptr);
  m = parser.parse(R"({"audio":"AAE="})", buffer);
  EXPECT_EQ(m.alignment, nullptr);  // none on this message: nothing left from the previous one
}

TEST(ElevenLabsTtsProtocol, ParsesTheFinalMessage) {
  tts::ServerMessageParser parser;
  std::vector<std::uint8_t> buffer(16);
  auto m = parser.parse(R"({"audio":null,"isFinal":true,"normalizedAlignment":null,"alignment":null})", buffer);
  EXPECT_EQ(m.kind, tts::MessageKind::kFinal);
  EXPECT_TRUE(m.is_final);
  EXPECT_EQ(m.audio_bytes, 0u);
  EXPECT_EQ(parser.parse(R"({"isFinal":true})", buffer).kind, tts::MessageKind::kFinal);
  m = parser.parse(R"({"audio":"AAE=","isFinal":true})", buffer);  // audio and the end at once
  EXPECT_EQ(m.kind, tts::MessageKind::kAudio);
  EXPECT_TRUE(m.is_final);
}

TEST(ElevenLabsTtsProtocol, ParsesErrors) {
  tts::ServerMessageParser parser;
  std::vector<std::uint8_t> buffer(16);
  const auto m = parser.parse(
      R"({"message":"Have not received a new text input within the timeout of 20.0 seconds.","error":"input_timeout_exceeded","code":1008})",
      buffer);
  ASSERT_EQ(m.kind, tts::MessageKind::kError);
  EXPECT_EQ(m.error, "input_timeout_exceeded");
  EXPECT_EQ(m.message, "Have not received a new text input within the timeout of 20.0 seconds.");
  EXPECT_EQ(m.code, 1008);
  const auto bare = parser.parse(R"({"error":{"detail":"x"}})", buffer);
  EXPECT_EQ(bare.kind, tts::MessageKind::kError);
  EXPECT_EQ(bare.error, "");
  EXPECT_EQ(bare.code, 0);
}

TEST(ElevenLabsTtsProtocol, IgnoresMessagesWithNothingToActOn) {
  tts::ServerMessageParser parser;
  std::vector<std::uint8_t> buffer(16);
  EXPECT_EQ(parser.parse(R"({"audio":null,"isFinal":null})", buffer).kind, tts::MessageKind::kUnknown);
  EXPECT_EQ(parser.parse(R"({})", buffer).kind, tts::MessageKind::kUnknown);
  EXPECT_EQ(parser.parse(R"({"isFinal":false,"future":[1,2]})", buffer).kind, tts::MessageKind::kUnknown);
}

TEST(ElevenLabsTtsProtocol, ReportsMalformedMessages) {
  tts::ServerMessageParser parser;
  std::vector<std::uint8_t> buffer(4);
  const auto malformed = [&](std::string_view text) {
    const auto m = parser.parse(text, buffer);
    EXPECT_EQ(m.kind, tts::MessageKind::kMalformed) << text;
    EXPECT_NE(std::string(m.malformed), "") << text;
    EXPECT_EQ(m.audio_bytes, 0u);
    return std::string(m.malformed);
  };
  EXPECT_EQ(malformed("not json"), "not a JSON object");
  EXPECT_EQ(malformed(""), "not a JSON object");
  EXPECT_EQ(malformed(R"(["audio"])"), "not a JSON object");
  EXPECT_EQ(malformed(R"({"audio":"AAE="} x)"), "not a JSON object");
  EXPECT_EQ(malformed(R"({"audio":5})"), "audio is not a string");
  malformed(R"({"audio":"A==="})");      // not base64
  malformed(R"({"audio":"AAAAAAAA"})");  // 6 bytes: larger than the 4-byte buffer
  malformed(R"({"audio":"AAE=","alignment":[1]})");
  malformed(R"({"audio":"AAE=","alignment":{"chars":["a","b"],"charStartTimesMs":[0],"charDurationsMs":[1,2]}})");
  malformed(R"({"audio":"AAE=","alignment":{"chars":[1],"charStartTimesMs":[0],"charDurationsMs":[1]}})");
  malformed(R"({"audio":"AAE=","alignment":{"chars":["a"],"charStartTimesMs":[-1],"charDurationsMs":[1]}})");
  malformed(R"({"audio":"AAE=","normalizedAlignment":{"chars":"ab","charStartTimesMs":[],"charDurationsMs":[]}})");
}

TEST(ElevenLabsTtsProtocol, ReusesOneParserForEveryMessage) {
  tts::ServerMessageParser parser;
  std::vector<std::uint8_t> buffer(1 << 16);
  for (int i = 0; i < 200; ++i) {
    const std::string chunk(static_cast<std::size_t>(4 * (i % 50 + 1)), 'A');  // base64 of zero bytes
    const std::string message = R"({"audio":")" + chunk + R"(","isFinal":null,"alignment":{"chars":["x"],)" +
                                R"("charStartTimesMs":[)" + std::to_string(i) + R"(],"charDurationsMs":[1]}})";
    ASSERT_LE(tts::ServerMessageParser::max_audio_bytes(message.size()), buffer.size());
    const auto m = parser.parse(message, buffer);
    ASSERT_EQ(m.kind, tts::MessageKind::kAudio);
    EXPECT_EQ(m.audio_bytes, chunk.size() / 4 * 3);
    EXPECT_EQ(m.alignment->start_ms.at(0), std::uint32_t(i));
  }
  // The documented bound holds even for a message that is nothing but audio.
  const std::string only = R"({"audio":"AAAA"})";
  EXPECT_GE(tts::ServerMessageParser::max_audio_bytes(only.size()), 3u);
}
