// The AssemblyAI v3 codec, directly (no GStreamer, no network). Example messages are the ones
// AssemblyAI documents (Message Sequence page, AsyncAPI spec, error page).
#include "assemblyai_protocol.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace aai = mediaflow::assemblyai;

namespace {

template <typename T>
T as(const aai::ServerMessage& m) {
  EXPECT_TRUE(std::holds_alternative<T>(m)) << "variant index " << m.index();
  return std::holds_alternative<T>(m) ? std::get<T>(m) : T{};
}

std::string malformed(std::string_view text) { return as<aai::Malformed>(aai::parse_server_message(text)).description; }

constexpr const char* kBase = "wss://streaming.assemblyai.com/v3/ws";

}  // namespace

TEST(AssemblyAiProtocol, BuildsTheUrlWithDefaults) {
  EXPECT_EQ(aai::build_url(kBase, {}),
            "wss://streaming.assemblyai.com/v3/ws?sample_rate=16000&encoding=pcm_s16le"
            "&speech_model=universal-streaming-english");
}

TEST(AssemblyAiProtocol, BuildsTheUrlWithEveryOption) {
  aai::StreamOptions o;
  o.sample_rate = 8000;
  o.encoding = aai::Encoding::kPcmMulaw;
  o.speech_model = "";
  o.format_turns = true;
  o.end_of_turn_confidence_threshold = 0.7;
  o.min_turn_silence_ms = 400;
  o.max_turn_silence_ms = 1280;
  o.inactivity_timeout_s = 30;
  o.token = "tok en&=";
  EXPECT_EQ(aai::build_url(kBase, o),
            "wss://streaming.assemblyai.com/v3/ws?sample_rate=8000&encoding=pcm_mulaw&format_turns=true"
            "&end_of_turn_confidence_threshold=0.7&min_turn_silence=400&max_turn_silence=1280"
            "&inactivity_timeout=30&token=tok%20en%26%3D");
}

TEST(AssemblyAiProtocol, KeepsTheQueryTheBaseAlreadyHas) {
  aai::StreamOptions o;
  o.speech_model = "";
  EXPECT_EQ(aai::build_url("ws://h/v3/ws?region=eu", o), "ws://h/v3/ws?region=eu&sample_rate=16000&encoding=pcm_s16le");
  EXPECT_EQ(aai::build_url("ws://h/v3/ws?", o), "ws://h/v3/ws?sample_rate=16000&encoding=pcm_s16le");
}

TEST(AssemblyAiProtocol, ParsesBegin) {
  const auto b = as<aai::Begin>(aai::parse_server_message(
      R"({"type":"Begin","id":"de5d9927-73a6-4be8-b52d-b4c07be37e6b","expires_at":1759796682})"));
  EXPECT_EQ(b.id, "de5d9927-73a6-4be8-b52d-b4c07be37e6b");
  EXPECT_EQ(b.expires_at, 1759796682);
  // The spec types it as a date-time string: not a time we read, so 0.
  EXPECT_EQ(
      as<aai::Begin>(aai::parse_server_message(R"({"type":"Begin","id":"x","expires_at":"2025-04-24T10:00:00Z"})")).expires_at,
      0);
  EXPECT_EQ(as<aai::Begin>(aai::parse_server_message(R"({"type":"Begin","id":"x"})")).id, "x");
}

TEST(AssemblyAiProtocol, ParsesAPartialTurn) {
  const auto t = as<aai::Turn>(aai::parse_server_message(R"({
    "turn_order": 0, "turn_is_formatted": false, "end_of_turn": false, "transcript": "hi",
    "end_of_turn_confidence": 1.4e-5,
    "words": [
      {"start": 1920, "end": 2000, "text": "hi", "confidence": 0.874618, "word_is_final": true},
      {"start": 2800, "end": 2880, "text": "my", "confidence": 0.812831, "word_is_final": false}],
    "utterance": "", "type": "Turn"})"));
  EXPECT_EQ(t.turn_order, 0);
  EXPECT_FALSE(t.end_of_turn);
  EXPECT_FALSE(t.turn_is_formatted);
  EXPECT_EQ(t.transcript, "hi");
  EXPECT_DOUBLE_EQ(t.end_of_turn_confidence, 1.4e-5);
  ASSERT_EQ(t.words.size(), 2u);
  EXPECT_EQ(t.words[0].text, "hi");
  EXPECT_DOUBLE_EQ(t.words[0].start, 1.92);
  EXPECT_DOUBLE_EQ(t.words[0].end, 2.0);
  EXPECT_DOUBLE_EQ(t.words[0].confidence, 0.874618);
  EXPECT_TRUE(t.words[0].is_final);
  EXPECT_FALSE(t.words[1].is_final);
}

TEST(AssemblyAiProtocol, ParsesAFormattedEndOfTurn) {
  const auto t = as<aai::Turn>(aai::parse_server_message(R"({"type":"Turn","turn_order":3,"turn_is_formatted":true,
    "end_of_turn":true,"transcript":"Hello world.","end_of_turn_confidence":1,
    "words":[{"text":"Hello","start":0,"end":500,"confidence":0.99},{"text":"world.","start":500,"end":1000,"confidence":0.98}]})"));
  EXPECT_EQ(t.turn_order, 3);
  EXPECT_TRUE(t.end_of_turn);
  EXPECT_TRUE(t.turn_is_formatted);
  EXPECT_EQ(t.transcript, "Hello world.");
  ASSERT_EQ(t.words.size(), 2u);
  EXPECT_FALSE(t.words[1].is_final);  // absent: false
  // Words are optional; a Turn without them is still a Turn.
  EXPECT_TRUE(as<aai::Turn>(aai::parse_server_message(R"({"type":"Turn","end_of_turn":false,"transcript":""})")).words.empty());
}

TEST(AssemblyAiProtocol, MapsTurnsOntoTheTranscriptSchema) {
  aai::Turn t;
  t.words = {{"hello", 1.0, 1.4, 0.8, true}, {"world", 1.5, 1.9, 0.6, false}};
  auto s = aai::segment_of(t, false);
  EXPECT_FALSE(s.is_final);
  EXPECT_FALSE(s.end_of_utterance);
  EXPECT_DOUBLE_EQ(s.start, 1.0);
  EXPECT_DOUBLE_EQ(s.duration, 0.9);
  EXPECT_DOUBLE_EQ(s.confidence, 0.7);
  EXPECT_EQ(s.text, "");  // the transcript holds the finalized words only
  ASSERT_EQ(s.words.size(), 2u);
  EXPECT_EQ(s.words[1].word, "world");
  EXPECT_DOUBLE_EQ(s.words[1].start, 1.5);
  EXPECT_DOUBLE_EQ(s.words[1].end, 1.9);
  EXPECT_DOUBLE_EQ(s.words[1].confidence, 0.6);
  EXPECT_FALSE(s.words[1].punctuated) << "AssemblyAI words have one form";

  t.end_of_turn = true;
  t.transcript = "hello world";
  s = aai::segment_of(t, false);
  EXPECT_TRUE(s.is_final);
  EXPECT_TRUE(s.end_of_utterance);
  EXPECT_EQ(s.text, "hello world");
  // Formatting requested: the unformatted end of turn is an interim, the formatted one final.
  EXPECT_FALSE(aai::segment_of(t, true).is_final);
  t.turn_is_formatted = true;
  EXPECT_TRUE(aai::segment_of(t, true).is_final);
  EXPECT_TRUE(aai::segment_of(t, true).end_of_utterance);

  const auto empty = aai::segment_of(aai::Turn{}, false);
  EXPECT_DOUBLE_EQ(empty.start, 0);
  EXPECT_DOUBLE_EQ(empty.duration, 0);
  EXPECT_DOUBLE_EQ(empty.confidence, 0);
}

TEST(AssemblyAiProtocol, ParsesTheOtherServerMessages) {
  const auto term = as<aai::Termination>(
      aai::parse_server_message(R"({"type":"Termination","audio_duration_seconds":10,"session_duration_seconds":12})"));
  EXPECT_DOUBLE_EQ(term.audio_duration_s, 10);
  EXPECT_DOUBLE_EQ(term.session_duration_s, 12);
  EXPECT_DOUBLE_EQ(as<aai::SpeechStarted>(aai::parse_server_message(R"({"type":"SpeechStarted","timestamp":1920})")).timestamp,
                   1.92);
  const auto err = as<aai::ServerError>(aai::parse_server_message(
      R"({"type":"Error","error_code":3008,"error":"Session Expired: Maximum session duration exceeded"})"));
  EXPECT_EQ(err.code, 3008);
  EXPECT_EQ(err.message, "Session Expired: Maximum session duration exceeded");
  const auto legacy = as<aai::ServerError>(aai::parse_server_message(R"({"error":"Not authorized"})"));
  EXPECT_EQ(legacy.code, 0);
  EXPECT_EQ(legacy.message, "Not authorized");
  EXPECT_EQ(as<aai::Unknown>(aai::parse_server_message(R"({"type":"Warning","warning_code":1,"warning":"w"})")).type,
            "Warning");
}

TEST(AssemblyAiProtocol, ReportsMalformedMessagesWithoutTheirText) {
  EXPECT_EQ(malformed("not json"), "not JSON");
  EXPECT_EQ(malformed(""), "not JSON");
  EXPECT_EQ(malformed(R"(["Turn"])"), "not a JSON object");
  EXPECT_EQ(malformed(R"({"transcript":"secret words"})"), "no \"type\"");
  EXPECT_EQ(malformed(R"({"type":7})"), "no \"type\"");
  const std::string turn_without_transcript = malformed(R"({"type":"Turn","end_of_turn":true})");
  EXPECT_FALSE(turn_without_transcript.empty());
  EXPECT_FALSE(malformed(R"({"type":"Turn","end_of_turn":"yes","transcript":"secret words"})").empty());
  const std::string bad_words = malformed(R"({"type":"Turn","end_of_turn":true,"transcript":"secret words","words":{}})");
  EXPECT_EQ(bad_words.find("secret"), std::string::npos);
  EXPECT_FALSE(malformed(R"({"type":"Turn","end_of_turn":true,"transcript":"t","words":[{"start":1}]})").empty());
  EXPECT_FALSE(malformed(R"({"type":"Begin","expires_at":1})").empty());
  EXPECT_FALSE(malformed(R"({"type":"Turn","end_of_turn":true,"transcript":"t"} trailing)").empty());
}

TEST(AssemblyAiProtocol, EncodesClientMessages) {
  EXPECT_EQ(aai::encode_control(aai::Control::kTerminate), R"({"type":"Terminate"})");
  EXPECT_EQ(aai::encode_control(aai::Control::kForceEndpoint), R"({"type":"ForceEndpoint"})");
  EXPECT_EQ(aai::encode_control(aai::Control::kKeepAlive), R"({"type":"KeepAlive"})");
}

TEST(AssemblyAiProtocol, DescribesTheDocumentedCloseCodes) {
  EXPECT_FALSE(aai::describe_close(1008).retry);
  EXPECT_NE(std::string(aai::describe_close(1008).reason).find("API key"), std::string::npos);
  EXPECT_FALSE(aai::describe_close(3006).retry);
  EXPECT_FALSE(aai::describe_close(3007).retry);
  EXPECT_NE(std::string(aai::describe_close(3007).reason).find("50-1000 ms"), std::string::npos);
  EXPECT_TRUE(aai::describe_close(3005).retry);
  EXPECT_TRUE(aai::describe_close(3008).retry);
  EXPECT_TRUE(aai::describe_close(3009).retry);
  EXPECT_TRUE(aai::describe_close(1006).retry);
  EXPECT_NE(std::string(aai::describe_close(1006).reason), "");
}
