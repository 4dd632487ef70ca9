// The ElevenLabs wire codec, directly (no GStreamer, no network).
#include "elevenlabs_protocol.hpp"

#include "support/paths.hpp"

#include <gtest/gtest.h>

namespace el = mediaflow::elevenlabs;

TEST(ElevenLabsProtocol, BuildsConversationAndSignedUrlRequests) {
  EXPECT_EQ(el::build_conversation_url("wss://api.elevenlabs.io/v1/convai/conversation", "agent 1&x"),
            "wss://api.elevenlabs.io/v1/convai/conversation?agent_id=agent%201%26x");
  EXPECT_EQ(el::build_conversation_url("ws://h/c?region=eu", "a"), "ws://h/c?region=eu&agent_id=a");
  EXPECT_EQ(el::build_signed_url_request("https://api.elevenlabs.io/", "agent_1"),
            "https://api.elevenlabs.io/v1/convai/conversation/get-signed-url?agent_id=agent_1");
}

TEST(ElevenLabsProtocol, ParsesSignedUrlAnswerAndRejectsOthers) {
  EXPECT_EQ(el::parse_signed_url_response(R"({"signed_url":"wss://x/y?token=abc"})").value(), "wss://x/y?token=abc");
  EXPECT_FALSE(el::parse_signed_url_response(R"({"detail":"nope"})"));
  EXPECT_FALSE(el::parse_signed_url_response("not json"));
  EXPECT_FALSE(el::parse_signed_url_response(R"({"signed_url":""})"));
}

TEST(ElevenLabsProtocol, AudioFormatNames) {
  EXPECT_EQ(el::parse_audio_format("ulaw_8000"), (el::AudioFormat{el::AudioEncoding::kMulaw, 8000}));
  EXPECT_EQ(el::parse_audio_format("pcm_22050"), (el::AudioFormat{el::AudioEncoding::kPcm16, 22050}));
  EXPECT_EQ(el::parse_audio_format("pcm_16000")->bytes_per_second(), 32000);
  EXPECT_FALSE(el::parse_audio_format("mp3_44100"));
  EXPECT_FALSE(el::parse_audio_format("pcm_12345"));
  EXPECT_EQ(el::audio_format_name({el::AudioEncoding::kPcm16, 48000}), "pcm_48000");
}

TEST(ElevenLabsProtocol, EncodesClientMessages) {
  const std::vector<std::uint8_t> audio = {0xFF, 0x00, 0x7F};
  EXPECT_EQ(el::encode_user_audio_chunk(audio), R"({"user_audio_chunk":"/wB/"})");
  EXPECT_EQ(el::encode_pong(12345), R"({"type":"pong","event_id":12345})");
  EXPECT_EQ(el::encode_user_activity(), R"({"type":"user_activity"})");
  EXPECT_EQ(el::encode_contextual_update("say \"hi\""), R"({"type":"contextual_update","text":"say \"hi\""})");
  el::InitiationData init;
  init.dynamic_variables = {{"user_name", "Jane \"J\""}, {"vip", "true"}, {"age", "42"}, {"zip", "007"}, {"score", "1.5"}};
  init.first_message = "Hi Jane";
  init.language = "en";
  EXPECT_EQ(el::encode_initiation(init),
            R"({"type":"conversation_initiation_client_data","conversation_config_override":{"agent":{"first_message":"Hi Jane","language":"en"}},)"
            R"("dynamic_variables":{"age":42,"score":1.5,"user_name":"Jane \"J\"","vip":true,"zip":"007"}})");
  EXPECT_EQ(el::encode_initiation({}), R"({"type":"conversation_initiation_client_data","dynamic_variables":{}})");
}

TEST(ElevenLabsProtocol, ParsesVariableLists) {
  std::vector<std::string> bad;
  auto vars = el::parse_variable_list(" user_name = Jane ; vip=true;;novalue;=x;empty=", &bad);
  EXPECT_EQ(vars, (std::map<std::string, std::string>{{"user_name", "Jane"}, {"vip", "true"}, {"empty", ""}}));
  EXPECT_EQ(bad, (std::vector<std::string>{"novalue", "=x"}));
}

TEST(ElevenLabsProtocol, ParsesEveryServerMessage) {
  auto m = el::parse_server_message(
      R"({"type":"conversation_initiation_metadata","conversation_initiation_metadata_event":{"conversation_id":"conv_1","agent_output_audio_format":"ulaw_8000","user_input_audio_format":"pcm_16000"}})");
  auto* md = std::get_if<el::InitiationMetadata>(&m);
  ASSERT_TRUE(md);
  EXPECT_EQ(md->conversation_id, "conv_1");
  EXPECT_EQ(md->agent_output, (el::AudioFormat{el::AudioEncoding::kMulaw, 8000}));
  EXPECT_EQ(md->user_input, (el::AudioFormat{el::AudioEncoding::kPcm16, 16000}));

  m = el::parse_server_message(R"({"type":"audio","audio_event":{"audio_base_64":"/wB/","event_id":7}})");
  ASSERT_TRUE(std::holds_alternative<el::Audio>(m));
  EXPECT_EQ(std::get<el::Audio>(m).data, (std::vector<std::uint8_t>{0xFF, 0x00, 0x7F}));
  EXPECT_EQ(std::get<el::Audio>(m).event_id, 7u);

  m = el::parse_server_message(R"({"type":"interruption","interruption_event":{"event_id":9}})");
  EXPECT_EQ(std::get<el::Interruption>(m).event_id, 9u);
  m = el::parse_server_message(R"({"type":"ping","ping_event":{"event_id":12345,"ping_ms":50}})");
  EXPECT_EQ(std::get<el::Ping>(m).event_id, 12345u);
  EXPECT_EQ(std::get<el::Ping>(m).ping_ms, 50u);
  m = el::parse_server_message(R"({"type":"agent_response","agent_response_event":{"agent_response":"Hello!"}})");
  EXPECT_EQ(std::get<el::AgentResponse>(m).text, "Hello!");
  m = el::parse_server_message(
      R"({"type":"agent_response_correction","agent_response_correction_event":{"original_agent_response":"a b","corrected_agent_response":"a"}})");
  EXPECT_EQ(std::get<el::AgentResponseCorrection>(m).original, "a b");
  EXPECT_EQ(std::get<el::AgentResponseCorrection>(m).corrected, "a");
  m = el::parse_server_message(R"({"type":"user_transcript","user_transcription_event":{"user_transcript":"Hi"}})");
  EXPECT_EQ(std::get<el::UserTranscript>(m).text, "Hi");
  m = el::parse_server_message(R"({"type":"vad_score","vad_score_event":{"vad_score":0.95}})");
  EXPECT_DOUBLE_EQ(std::get<el::VadScore>(m).score, 0.95);
  m = el::parse_server_message(
      R"({"type":"client_tool_call","client_tool_call":{"tool_name":"check","tool_call_id":"t1","parameters":{"n":1}}})");
  EXPECT_EQ(std::get<el::ClientToolCall>(m).tool_name, "check");
  EXPECT_EQ(std::get<el::ClientToolCall>(m).tool_call_id, "t1");
  EXPECT_EQ(std::get<el::ClientToolCall>(m).parameters_json, R"({"n":1})");
  m = el::parse_server_message(
      R"({"type":"error","error_event":{"code":1008,"message":"bad","error_type":"invalid_message"}})");
  EXPECT_EQ(std::get<el::ServerError>(m).code, 1008);
  EXPECT_EQ(std::get<el::ServerError>(m).error_type, "invalid_message");
  m = el::parse_server_message(R"({"type":"brand_new_thing","x":1})");
  EXPECT_EQ(std::get<el::Unknown>(m).type, "brand_new_thing");
}

// Audio events take a simdjson fast path; whatever it does not read the usual way goes through
// json-glib as before. Both ways give the same result (these pass with either parser alone).
TEST(ElevenLabsProtocol, AudioEventsParseTheSameWhicheverParserReadsThem) {
  const auto audio = [](const std::string& text) {
    const auto m = el::parse_server_message(text);
    EXPECT_TRUE(std::holds_alternative<el::Audio>(m)) << text;
    return std::holds_alternative<el::Audio>(m) ? std::get<el::Audio>(m) : el::Audio{};
  };
  const std::vector<std::uint8_t> bytes{0xff, 0x00, 0x7f};
  // the usual shape, with members the parser skips (alignment)
  auto a = audio(R"({"audio_event":{"event_id":7,"alignment":{"chars":["a"]},"audio_base_64":"/wB/"},"type":"audio"})");
  EXPECT_EQ(a.data, bytes);
  EXPECT_EQ(a.event_id, 7u);
  // ids as strings, doubles (truncated), negative or missing (0)
  EXPECT_EQ(audio(R"({"type":"audio","audio_event":{"audio_base_64":"/wB/","event_id":"8"}})").event_id, 8u);
  EXPECT_EQ(audio(R"({"type":"audio","audio_event":{"audio_base_64":"/wB/","event_id":9.9}})").event_id, 9u);
  EXPECT_EQ(audio(R"({"type":"audio","audio_event":{"audio_base_64":"/wB/","event_id":-1}})").event_id, 0u);
  EXPECT_EQ(audio(R"({"type":"audio","audio_event":{"audio_base_64":"/wB/"}})").event_id, 0u);
  EXPECT_EQ(audio(R"({"type":"audio","audio_event":{"audio_base_64":"/wB/","event_id":18446744073709551615}})").data, bytes);
  // a repeated member: the last one counts (json-glib's rule)
  a = audio(R"({"type":"ping","type":"audio","audio_event":{"audio_base_64":"AAAA","audio_base_64":"/wB/","event_id":1,"event_id":2}})");
  EXPECT_EQ(a.data, bytes);
  EXPECT_EQ(a.event_id, 2u);
  // base64 with a line break inside (lenient, as before) and escaped slashes
  EXPECT_EQ(audio("{\"type\":\"audio\",\"audio_event\":{\"audio_base_64\":\"/wB/\\n\"}}").data, bytes);
  EXPECT_EQ(audio(R"({"type":"audio","audio_event":{"audio_base_64":"\/wB\/"}})").data, bytes);
  // nesting deeper than the fast parser takes but within the limit: still audio
  EXPECT_EQ(audio(R"({"type":"audio","x":)" + std::string(20, '[') + std::string(20, ']') +
                  R"(,"audio_event":{"audio_base_64":"/wB/"}})").data, bytes);
  // broken bodies stay malformed
  for (const char* text : {R"({"type":"audio","audio_event":{"audio_base_64":7}})",
                           R"({"type":"audio","audio_event":[]})", R"({"type":"audio","audio_event":{"audio_base_64":"/wB/"})"})
    EXPECT_TRUE(std::holds_alternative<el::Malformed>(el::parse_server_message(text))) << text;
}

TEST(ElevenLabsProtocol, MalformedMessagesAreReportedNotThrown) {
  for (const char* text : {"not json {", "[1,2]", R"({"no":"type"})", R"({"type":"audio"})",
                           R"({"type":"ping","ping_event":{}})", R"({"type":"interruption","interruption_event":{"event_id":-1}})"})
    EXPECT_TRUE(std::holds_alternative<el::Malformed>(el::parse_server_message(text))) << text;
}


// Fuzzer findings (tests/fuzz/regressions/elevenlabs_message): numbers that fit no event id are
// no id (the cast was undefined behaviour), and nesting json-glib would recurse on is refused.
TEST(ElevenLabsProtocol, EventIdsThatFitNoIntegerMakeTheMessageMalformed) {
  using mediaflow::test::fuzz_regression;
  const auto ping = el::parse_server_message(fuzz_regression("elevenlabs_message", "ping_event_id_4e85.json"));
  EXPECT_TRUE(std::holds_alternative<el::Malformed>(ping));
  const auto interruption =
      el::parse_server_message(fuzz_regression("elevenlabs_message", "interruption_event_id_negative_huge.json"));
  EXPECT_TRUE(std::holds_alternative<el::Malformed>(interruption));
  for (const char* id : {"-1", "1e20", "\"-3\"", "\"99999999999999999999999\"", "\"\"", "1.5e300"}) {
    const auto m = el::parse_server_message(std::string(R"({"type":"ping","ping_event":{"event_id":)") + id + "}}");
    EXPECT_TRUE(std::holds_alternative<el::Malformed>(m)) << id;
  }
  const auto fine = el::parse_server_message(R"({"type":"ping","ping_event":{"event_id":4e15}})");
  ASSERT_TRUE(std::holds_alternative<el::Ping>(fine));
  EXPECT_EQ(std::get<el::Ping>(fine).event_id, 4000000000000000ull);
  const auto as_text = el::parse_server_message(R"({"type":"ping","ping_event":{"event_id":"18446744073709551615"}})");
  ASSERT_TRUE(std::holds_alternative<el::Ping>(as_text));
  EXPECT_EQ(std::get<el::Ping>(as_text).event_id, 18446744073709551615ull);
}

TEST(ElevenLabsProtocol, DeeplyNestedMessagesAreMalformedNotAStackOverflow) {
  const auto m = el::parse_server_message(mediaflow::test::fuzz_regression("elevenlabs_message", "nested_100000_deep.json"));
  ASSERT_TRUE(std::holds_alternative<el::Malformed>(m));
  EXPECT_NE(std::get<el::Malformed>(m).description.find("nested deeper than 32"), std::string::npos);
  EXPECT_FALSE(el::parse_signed_url_response("{\"signed_url\":" + std::string(100000, '[') + "}"));
}
