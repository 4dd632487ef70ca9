// The first frame of a jambonz listen WebSocket: every rate and mix, the call attributes and the
// merged metadata keys, and bad input of every shape with the close code the host would use.
#include <mediaflow/protocol/jambonz_metadata.hpp>

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

namespace jz = mediaflow::protocol::jambonz;

namespace {

// What jambonz sent for a real inbound call (lib/tasks/listen.js: {sampleRate, mixType} +
// callInfo.toJSON() + the verb's metadata), with our pipeline keys merged in at the end.
constexpr const char* kJambonzFrame =
    R"({"sampleRate":16000,"mixType":"mono","callSid":"b7d4c3a2-0f1e-4d5c-9b8a-7e6f5d4c3b2a",)"
    R"("direction":"inbound","from":"+15551234567","to":"+15557654321",)"
    R"("callId":"935f3b60-2775-123d-a6a1-0242ac110003","sipStatus":200,"sipReason":"OK",)"
    R"("callStatus":"in-progress","callerId":"+15551234567","accountSid":"66acafce-44c2-417a-a7c0",)"
    R"("traceId":"151b12417e6460b82a97188348066439","applicationSid":"db7ba948-2410-4845-949f",)"
    R"("fsSipAddress":"10.0.1.12:5060","originatingSipIp":"54.1.2.3",)"
    R"("customerData":{"crm":{"id":7}},"pipeline":"agent-elevenlabs","organization_id":"acme",)"
    R"("vip":true,"priority":3,"score":1.5,"debt":-2,"note":null,"tags":["a","b"]})";

std::string frame(const std::string& rate, const std::string& mix, const std::string& extra = "") {
  return R"({"sampleRate":)" + rate + R"(,"mixType":")" + mix + R"(","callSid":"CS1")" + extra + "}";
}

void expect_refused(const std::string& text, std::uint16_t code) {
  const auto r = jz::read_call_metadata(text);
  EXPECT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.close_code, code) << text << " → " << r.error;
  EXPECT_NE(std::string(r.error), "") << text;
}

}  // namespace

TEST(JambonzMetadata, ReadsEveryAllowedRateInMonoStereoAndMixed) {
  // The listen verb's documented rates, spelt out rather than taken from kSampleRates.
  for (const std::uint32_t rate : {8000u, 16000u, 24000u, 48000u, 64000u}) {
    for (const auto& [mix, kind, channels] : std::vector<std::tuple<std::string, jz::MixType, std::uint32_t>>{
             {"mono", jz::MixType::kMono, 1}, {"stereo", jz::MixType::kStereo, 2}, {"mixed", jz::MixType::kMixed, 1}}) {
      const auto r = jz::read_call_metadata(frame(std::to_string(rate), mix));
      ASSERT_TRUE(r.ok()) << rate << " " << mix << ": " << r.error;
      EXPECT_EQ(r.metadata.sample_rate, rate);
      EXPECT_EQ(r.metadata.mix_type, kind);
      EXPECT_EQ(r.metadata.channels, channels) << mix;
      EXPECT_EQ(r.metadata.call_sid, "CS1");
    }
  }
}

TEST(JambonzMetadata, ReadsTheCallAttributesAndMergedMetadataKeys) {
  const auto r = jz::read_call_metadata(kJambonzFrame);
  ASSERT_TRUE(r.ok()) << r.error;
  const jz::CallMetadata& m = r.metadata;
  EXPECT_EQ(m.call_sid, "b7d4c3a2-0f1e-4d5c-9b8a-7e6f5d4c3b2a");
  EXPECT_EQ(m.from, "+15551234567");
  EXPECT_EQ(m.to, "+15557654321");
  EXPECT_EQ(m.direction, "inbound");
  EXPECT_EQ(m.sample_rate, 16000u);
  EXPECT_EQ(m.channels, 1u);
  // The verb's metadata keys, as Twilio's custom parameters are read.
  EXPECT_EQ(m.params.at("pipeline"), "agent-elevenlabs");
  EXPECT_EQ(m.params.at("organization_id"), "acme");
  // Numbers and booleans as their JSON text.
  EXPECT_EQ(m.params.at("vip"), "true");
  EXPECT_EQ(m.params.at("priority"), "3");
  EXPECT_EQ(m.params.at("debt"), "-2");
  EXPECT_EQ(m.params.at("score"), "1.5");
  EXPECT_EQ(m.params.at("sipStatus"), "200");
  EXPECT_EQ(m.params.at("accountSid"), "66acafce-44c2-417a-a7c0");
  // Objects, arrays and null are not params; the fields above are not repeated as params.
  for (const char* absent : {"customerData", "note", "tags", "callSid", "from", "to", "direction", "sampleRate", "mixType"})
    EXPECT_EQ(m.params.count(absent), 0u) << absent;
  EXPECT_EQ(m.params.size(), 16u);
}

TEST(JambonzMetadata, FromToAndDirectionMayBeAbsent) {
  const auto r = jz::read_call_metadata(frame("8000", "mono"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.metadata.from, "");
  EXPECT_EQ(r.metadata.to, "");
  EXPECT_EQ(r.metadata.direction, "");
  EXPECT_TRUE(r.metadata.params.empty());
}

TEST(JambonzMetadata, RefusesRatesTheListenVerbDoesNotAllow) {
  // 32000 is valid for playAudio but not for listen; 44100 and 22050 are common elsewhere.
  for (const char* rate : {"0", "-8000", "11025", "22050", "32000", "44100", "96000", "8000.5", "8e3", "1e20"})
    expect_refused(frame(rate, "mono"), jz::kClosePolicy);
  // An integer beyond 64 bits is refused by the parser itself: invalid data.
  expect_refused(frame("18446744073709551616", "mono"), jz::kCloseInvalidData);
}

TEST(JambonzMetadata, RefusesMissingFieldsAsPolicy) {
  expect_refused(R"({"sampleRate":8000,"mixType":"mono"})", jz::kClosePolicy);
  expect_refused(R"({"mixType":"mono","callSid":"CS1"})", jz::kClosePolicy);
  expect_refused(R"({"sampleRate":8000,"callSid":"CS1"})", jz::kClosePolicy);
  expect_refused("{}", jz::kClosePolicy);
}

TEST(JambonzMetadata, RefusesFieldsOfTheWrongTypeAsInvalidData) {
  expect_refused(R"({"sampleRate":"8000","mixType":"mono","callSid":"CS1"})", jz::kCloseInvalidData);
  expect_refused(R"({"sampleRate":true,"mixType":"mono","callSid":"CS1"})", jz::kCloseInvalidData);
  expect_refused(R"({"sampleRate":8000,"mixType":1,"callSid":"CS1"})", jz::kCloseInvalidData);
  expect_refused(R"({"sampleRate":8000,"mixType":"mono","callSid":42})", jz::kCloseInvalidData);
  expect_refused(frame("8000", "mono", R"(,"from":15551234567)"), jz::kCloseInvalidData);
  expect_refused(frame("8000", "mono", R"(,"to":null)"), jz::kCloseInvalidData);
  expect_refused(frame("8000", "mono", R"(,"direction":["inbound"])"), jz::kCloseInvalidData);
}

TEST(JambonzMetadata, RefusesAnUnknownMixType) {
  for (const char* mix : {"quad", "Mono", "", "stereo "}) expect_refused(frame("8000", mix), jz::kClosePolicy);
}

TEST(JambonzMetadata, BoundsTheCallSid) {
  const std::string longest(jz::kMaxCallSidBytes, 'a');
  EXPECT_TRUE(jz::read_call_metadata(R"({"sampleRate":8000,"mixType":"mono","callSid":")" + longest + "\"}").ok());
  for (const std::string& sid : {std::string(jz::kMaxCallSidBytes + 1, 'a'), std::string(""), std::string("CS 1"),
                                 std::string("CS\\n1"), std::string("CS\\u00001"), std::string("caf\xc3\xa9")})
    expect_refused(R"({"sampleRate":8000,"mixType":"mono","callSid":")" + sid + "\"}", jz::kClosePolicy);
}

TEST(JambonzMetadata, RefusesTextThatIsNotAJsonObject) {
  for (const char* text : {"", "not json", "[]", "\"callSid\"", "8000", "null", R"({"sampleRate":8000,)",
                           R"({"sampleRate":8000,"mixType":"mono","callSid":"CS1"} {})"})
    expect_refused(text, jz::kCloseInvalidData);
}

TEST(JambonzMetadata, RefusesARepeatedKey) {
  // Two pipelines: which one a parser keeps is its own choice, so the frame is refused.
  expect_refused(frame("8000", "mono", R"(,"pipeline":"a","pipeline":"b")"), jz::kCloseInvalidData);
  expect_refused(R"({"sampleRate":8000,"sampleRate":64000,"mixType":"mono","callSid":"CS1"})", jz::kCloseInvalidData);
  expect_refused(R"({"callSid":"CS1","sampleRate":8000,"mixType":"mono","callSid":"CS2"})", jz::kCloseInvalidData);
}

TEST(JambonzMetadata, RefusesTextThatIsNotUtf8) {
  expect_refused(frame("8000", "mono", ",\"pipeline\":\"\xff\""), jz::kCloseInvalidData);       // never valid
  expect_refused(frame("8000", "mono", ",\"pipeline\":\"\xc0\xaf\""), jz::kCloseInvalidData);   // overlong '/'
  expect_refused(frame("8000", "mono", ",\"pipeline\":\"\xed\xa0\x80\""), jz::kCloseInvalidData);  // surrogate
  expect_refused(frame("8000", "mono", ",\"pipeline\":\"\xe2\x82\""), jz::kCloseInvalidData);   // cut short
  // The same frame with valid UTF-8 is read.
  const auto ok = jz::read_call_metadata(frame("8000", "mono", ",\"pipeline\":\"caf\xc3\xa9\""));
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(ok.metadata.params.at("pipeline"), "caf\xc3\xa9");
}

TEST(JambonzMetadata, RefusesAFrameLargerThanTheBound) {
  // A frame of exactly `size` bytes, padded with a param.
  const std::size_t unpadded = frame("8000", "mono", R"(,"pad":"")").size();
  const auto padded = [&](std::size_t size) {
    return frame("8000", "mono", R"(,"pad":")" + std::string(size - unpadded, 'x') + "\"");
  };
  const std::string at_bound = padded(jz::kMaxMetadataBytes);
  ASSERT_EQ(at_bound.size(), jz::kMaxMetadataBytes);
  const auto r = jz::read_call_metadata(at_bound);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.metadata.params.at("pad").size(), jz::kMaxMetadataBytes - unpadded);
  const std::string over = padded(jz::kMaxMetadataBytes + 1);
  ASSERT_EQ(over.size(), jz::kMaxMetadataBytes + 1);
  expect_refused(over, jz::kCloseTooBig);
}

TEST(JambonzMetadata, RefusesDeepNesting) {
  // The root object is level 1: 31 nested arrays in a param reach level 32 and are read (the
  // param itself is left out); 32 are refused before the parser sees them, as are 100,000.
  const auto nested = [](int n) { return std::string(n, '[') + std::string(n, ']'); };
  const auto ok = jz::read_call_metadata(frame("8000", "mono", ",\"deep\":" + nested(31)));
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(ok.metadata.params.count("deep"), 0u);
  expect_refused(frame("8000", "mono", ",\"deep\":" + nested(32)), jz::kClosePolicy);
  expect_refused(std::string(100000, '['), jz::kCloseTooBig);
  expect_refused(std::string(10000, '['), jz::kClosePolicy);
  // Brackets inside strings are not nesting.
  EXPECT_TRUE(jz::read_call_metadata(frame("8000", "mono", ",\"text\":\"" + std::string(64, '[') + "\"")).ok());
}

TEST(JambonzMetadata, WhatTheSimulatorEncodesReadsBackTheSame) {
  jz::CallMetadata m;
  m.call_sid = "b7d4c3a2-0f1e-4d5c-9b8a-7e6f5d4c3b2a";
  m.from = "+15551234567";
  m.to = "sip:agent@example.com";
  m.direction = "outbound";
  m.sample_rate = 24000;
  m.mix_type = jz::MixType::kStereo;
  m.channels = 2;
  m.params = {{"pipeline", "default"}, {"organization_id", "acme \"quoted\"\n"}};
  const std::string text = jz::encode_call_metadata(m);
  EXPECT_EQ(text.rfind(R"({"sampleRate":24000,"mixType":"stereo","callSid":)", 0), 0u) << text;
  const auto r = jz::read_call_metadata(text);
  ASSERT_TRUE(r.ok()) << r.error << " in " << text;
  EXPECT_EQ(r.metadata.call_sid, m.call_sid);
  EXPECT_EQ(r.metadata.from, m.from);
  EXPECT_EQ(r.metadata.to, m.to);
  EXPECT_EQ(r.metadata.direction, m.direction);
  EXPECT_EQ(r.metadata.sample_rate, m.sample_rate);
  EXPECT_EQ(r.metadata.mix_type, m.mix_type);
  EXPECT_EQ(r.metadata.channels, 2u);
  EXPECT_EQ(r.metadata.params, m.params);

  // A param named like a field would repeat a key: left out, so the frame stays readable.
  m.params["callSid"] = "CS-other";
  const auto again = jz::read_call_metadata(jz::encode_call_metadata(m));
  ASSERT_TRUE(again.ok()) << again.error;
  EXPECT_EQ(again.metadata.call_sid, "b7d4c3a2-0f1e-4d5c-9b8a-7e6f5d4c3b2a");
}

TEST(JambonzMetadata, SupportedRatesAreExactlyTheDocumentedOnes) {
  std::vector<std::uint32_t> supported;
  for (std::uint64_t rate = 0; rate <= 200000; ++rate)
    if (jz::is_supported_sample_rate(rate)) supported.push_back(static_cast<std::uint32_t>(rate));
  EXPECT_EQ(supported, (std::vector<std::uint32_t>{8000, 16000, 24000, 48000, 64000}));
  EXPECT_EQ(jz::kSubprotocol, "audio.jambonz.org");
}
