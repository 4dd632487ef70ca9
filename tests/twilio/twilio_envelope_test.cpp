// The Twilio Media Streams codec: every message kind as Twilio sends it, what we send back,
// and bad input of every shape.
#include <mediaflow/protocol/twilio_capture.hpp>
#include <mediaflow/protocol/twilio_envelope.hpp>

#include <gtest/gtest.h>

#include <numeric>
#include <sstream>
#include <vector>

namespace tw = mediaflow::protocol::twilio;
using tw::EventKind;

namespace {

std::vector<std::uint8_t> decode(std::string_view b64) {
  std::vector<std::uint8_t> out(tw::base64_decoded_max(b64.size()));
  auto n = tw::decode_base64(b64, out);
  EXPECT_TRUE(n.has_value()) << b64;
  out.resize(n.value_or(0));
  return out;
}

}  // namespace

TEST(TwilioEnvelope, ParsesConnected) {
  tw::TwilioEnvelopeParser p;
  auto m = p.parse(R"({"event":"connected","protocol":"Call","version":"1.0.0"})");
  ASSERT_EQ(m.kind, EventKind::kConnected);
  EXPECT_EQ(m.protocol, "Call");
  EXPECT_EQ(m.version, "1.0.0");
  EXPECT_FALSE(m.sequence_number);
}

TEST(TwilioEnvelope, ParsesStartWithEveryField) {
  tw::TwilioEnvelopeParser p;
  auto m = p.parse(
      R"({"event":"start","sequenceNumber":"1","streamSid":"MZ1","start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1","tracks":["inbound","outbound"],"customParameters":{"pipeline":"agent-elevenlabs","organization_id":"acme"},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}})");
  ASSERT_EQ(m.kind, EventKind::kStart) << m.error;
  EXPECT_EQ(m.sequence_number, 1u);
  EXPECT_EQ(m.stream_sid, "MZ1");
  EXPECT_EQ(m.start.stream_sid, "MZ1");
  EXPECT_EQ(m.start.call_sid, "CA1");
  EXPECT_EQ(m.start.account_sid, "AC1");
  EXPECT_EQ(m.start.tracks, (std::vector<std::string>{"inbound", "outbound"}));
  EXPECT_EQ(m.start.custom_parameters.at("pipeline"), "agent-elevenlabs");
  EXPECT_EQ(m.start.custom_parameters.at("organization_id"), "acme");
  EXPECT_EQ(m.start.media_format.encoding, "audio/x-mulaw");
  EXPECT_EQ(m.start.media_format.sample_rate, 8000u);
  EXPECT_EQ(m.start.media_format.channels, 1u);
}

TEST(TwilioEnvelope, ParsesMediaWithStringCounters) {
  tw::TwilioEnvelopeParser p;
  auto m = p.parse(
      R"({"event":"media","sequenceNumber":"3","streamSid":"MZ1","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"AAEC/w=="}})");
  ASSERT_EQ(m.kind, EventKind::kMedia) << m.error;
  EXPECT_EQ(m.sequence_number, 3u);
  EXPECT_EQ(m.stream_sid, "MZ1");
  EXPECT_EQ(m.media.track, "inbound");
  EXPECT_EQ(m.media.chunk, 1u);
  EXPECT_EQ(m.media.timestamp_ms, 5u);
  EXPECT_EQ(decode(m.media.payload_base64), (std::vector<std::uint8_t>{0, 1, 2, 255}));
}

TEST(TwilioEnvelope, ParsesMarkDtmfStop) {
  tw::TwilioEnvelopeParser p;
  auto mark = p.parse(R"({"event":"mark","sequenceNumber":"4","streamSid":"MZ1","mark":{"name":"utt-7"}})");
  ASSERT_EQ(mark.kind, EventKind::kMark);
  EXPECT_EQ(mark.mark, "utt-7");
  auto dtmf = p.parse(R"({"event":"dtmf","sequenceNumber":"5","streamSid":"MZ1","dtmf":{"track":"inbound_track","digit":"#"}})");
  ASSERT_EQ(dtmf.kind, EventKind::kDtmf);
  EXPECT_EQ(dtmf.dtmf.digit, "#");
  EXPECT_EQ(dtmf.dtmf.track, "inbound_track");
  auto stop = p.parse(R"({"event":"stop","sequenceNumber":"9","streamSid":"MZ1","stop":{"accountSid":"AC1","callSid":"CA1"}})");
  ASSERT_EQ(stop.kind, EventKind::kStop);
  EXPECT_EQ(stop.stop.call_sid, "CA1");
  EXPECT_EQ(stop.stop.account_sid, "AC1");
  EXPECT_EQ(stop.sequence_number, 9u);
}

TEST(TwilioEnvelope, UnknownEventIsReportedNotRejected) {
  tw::TwilioEnvelopeParser p;
  auto m = p.parse(R"({"event":"somethingNew","streamSid":"MZ1","x":{"y":[1,2]}})");
  EXPECT_EQ(m.kind, EventKind::kUnknown);
  EXPECT_EQ(m.event, "somethingNew");
}

TEST(TwilioEnvelope, MalformedJsonIsReportedWithAReason) {
  tw::TwilioEnvelopeParser p;
  for (std::string_view bad : {"", "{", "not json", R"({"event":"media",})", "[1,2,3]", "\"media\"", "null",
                               R"({"event":"media","media":{"payload":"AA==")"}) {
    auto m = p.parse(bad);
    EXPECT_EQ(m.kind, EventKind::kMalformed) << bad;
    EXPECT_STRNE(m.error, "") << bad;
  }
  // The parser is still usable afterwards.
  EXPECT_EQ(p.parse(R"({"event":"mark","mark":{"name":"a"}})").kind, EventKind::kMark);
}

TEST(TwilioEnvelope, WrongTypesAreMalformed) {
  tw::TwilioEnvelopeParser p;
  const char* cases[] = {
      R"({"event":7})",
      R"({"event":"media","media":"x"})",
      R"({"event":"media","media":{"timestamp":"5","payload":12}})",
      R"({"event":"media","media":{"timestamp":"five","payload":"AA=="}})",
      R"({"event":"media","media":{"timestamp":"-5","payload":"AA=="}})",
      R"({"event":"media","media":{"timestamp":"5","chunk":true,"payload":"AA=="}})",
      R"({"event":"media","media":{"track":1,"timestamp":"5","payload":"AA=="}})",
      R"({"event":"media","sequenceNumber":"x1","media":{"timestamp":"5","payload":"AA=="}})",
      R"({"event":"media","streamSid":5,"media":{"timestamp":"5","payload":"AA=="}})",
      R"({"event":"mark","mark":{"name":3}})",
      R"({"event":"dtmf","dtmf":{"digit":1}})",
      R"({"event":"start","streamSid":"MZ1","start":{"callSid":"CA1","tracks":"inbound"}})",
      R"({"event":"start","streamSid":"MZ1","start":{"callSid":"CA1","customParameters":[1]}})",
      R"({"event":"start","streamSid":"MZ1","start":{"callSid":"CA1","mediaFormat":{"sampleRate":"8000"}}})",
  };
  for (const char* c : cases) {
    auto m = p.parse(c);
    EXPECT_EQ(m.kind, EventKind::kMalformed) << c;
    EXPECT_STRNE(m.error, "") << c;
  }
}

TEST(TwilioEnvelope, MissingFieldsAreMalformed) {
  tw::TwilioEnvelopeParser p;
  const char* cases[] = {
      R"({"streamSid":"MZ1"})",
      R"({"event":"media","streamSid":"MZ1"})",
      R"({"event":"media","media":{"payload":"AA=="}})",
      R"({"event":"media","media":{"timestamp":"5"}})",
      R"({"event":"mark","mark":{}})",
      R"({"event":"mark"})",
      R"({"event":"dtmf","dtmf":{"track":"inbound_track"}})",
      R"({"event":"start","start":{"callSid":"CA1"}})",
      R"({"event":"start","streamSid":"MZ1","start":{}})",
      R"({"event":"start","streamSid":"MZ1"})",
  };
  for (const char* c : cases) EXPECT_EQ(p.parse(c).kind, EventKind::kMalformed) << c;
}

TEST(TwilioEnvelope, BadBase64IsRejected) {
  std::vector<std::uint8_t> out(64);
  for (std::string_view bad : {"A", "AAA", "AA=A", "A===", "AA*A", "AAAA AAA", "=AAA", "AAAAA==="}) {
    EXPECT_FALSE(tw::decode_base64(bad, out)) << bad;
  }
  // Too small an output buffer is refused, never overrun.
  std::vector<std::uint8_t> tiny(2);
  EXPECT_FALSE(tw::decode_base64("AAAA", tiny));
  EXPECT_EQ(tw::decode_base64("", out), 0u);
}

TEST(TwilioEnvelope, Base64RoundTripsEverySizeAndByte) {
  std::vector<std::uint8_t> all(256);
  std::iota(all.begin(), all.end(), 0);
  for (std::size_t n : {0u, 1u, 2u, 3u, 4u, 159u, 160u, 161u, 256u}) {
    std::span<const std::uint8_t> in(all.data(), n);
    std::string b64;
    tw::append_base64(b64, in);
    EXPECT_EQ(b64.size() % 4, 0u);
    EXPECT_EQ(decode(b64), std::vector<std::uint8_t>(in.begin(), in.end())) << n;
  }
  // Known vectors (RFC 4648 §10).
  std::string s;
  tw::append_base64(s, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>("foobar"), 6));
  EXPECT_EQ(s, "Zm9vYmFy");
  s.clear();
  tw::append_base64(s, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>("fo"), 2));
  EXPECT_EQ(s, "Zm8=");
}

TEST(TwilioEnvelope, LargeAndOddPayloadsSurviveTheRoundTrip) {
  tw::TwilioEnvelopeParser p;
  for (std::size_t n : {1u, 7u, 161u, 8000u, 64001u}) {
    std::vector<std::uint8_t> payload(n);
    for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<std::uint8_t>(i * 31 + 7);
    auto json = tw::encode_inbound_media(12, "MZ9", "outbound", 11, 123456789012ull, payload);
    auto m = p.parse(json);
    ASSERT_EQ(m.kind, EventKind::kMedia) << m.error;
    EXPECT_EQ(m.media.track, "outbound");
    EXPECT_EQ(m.media.chunk, 11u);
    EXPECT_EQ(m.media.timestamp_ms, 123456789012ull);
    EXPECT_EQ(decode(m.media.payload_base64), payload);
  }
}

TEST(TwilioEnvelope, InboundEncodersMatchTwilioShapeAndParseBack) {
  tw::TwilioEnvelopeParser p;
  EXPECT_EQ(tw::encode_connected(), R"({"event":"connected","protocol":"Call","version":"1.0.0"})");
  const std::uint8_t bytes[] = {0xFF, 0x7F};
  EXPECT_EQ(tw::encode_inbound_media(3, "MZ1", "inbound", 1, 5, bytes),
            R"({"event":"media","sequenceNumber":"3","streamSid":"MZ1","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"/38="}})");
  EXPECT_EQ(tw::encode_dtmf(5, "MZ1", "1"),
            R"({"event":"dtmf","sequenceNumber":"5","streamSid":"MZ1","dtmf":{"track":"inbound_track","digit":"1"}})");
  EXPECT_EQ(tw::encode_inbound_mark(4, "MZ1", "utt-7"),
            R"({"event":"mark","sequenceNumber":"4","streamSid":"MZ1","mark":{"name":"utt-7"}})");
  EXPECT_EQ(tw::encode_stop(9, "MZ1", "AC1", "CA1"),
            R"({"event":"stop","sequenceNumber":"9","streamSid":"MZ1","stop":{"accountSid":"AC1","callSid":"CA1"}})");

  tw::StartEvent start;
  start.stream_sid = "MZ1";
  start.call_sid = "CA1";
  start.account_sid = "AC1";
  start.tracks = {"inbound"};
  start.custom_parameters = {{"pipeline", "echo"}, {"quote\"d", "line\nbreak"}};
  auto m = p.parse(tw::encode_start(1, start));
  ASSERT_EQ(m.kind, EventKind::kStart) << m.error;
  EXPECT_EQ(m.start.call_sid, "CA1");
  EXPECT_EQ(m.start.custom_parameters, start.custom_parameters);
  EXPECT_EQ(m.start.media_format.encoding, "audio/x-mulaw");
}

TEST(TwilioEnvelope, OutboundEncodersMatchTwilioShape) {
  const std::uint8_t bytes[] = {1, 2, 3};
  EXPECT_EQ(tw::encode_outbound_media("MZ1", bytes), R"({"event":"media","streamSid":"MZ1","media":{"payload":"AQID"}})");
  EXPECT_EQ(tw::encode_outbound_mark("MZ1", "utt-\"7\""), R"({"event":"mark","streamSid":"MZ1","mark":{"name":"utt-\"7\""}})");
  EXPECT_EQ(tw::encode_outbound_clear("MZ1"), R"({"event":"clear","streamSid":"MZ1"})");
}

TEST(TwilioEnvelope, CaptureHasConnectedStartMediaStopWithTrueTimestamps) {
  std::vector<std::uint8_t> audio(8 * 50);  // 50 ms
  for (std::size_t i = 0; i < audio.size(); ++i) audio[i] = static_cast<std::uint8_t>(i);
  tw::CaptureOptions o;
  o.frame_ms = 20;
  o.stream_sid = "MZabc";
  std::istringstream lines(tw::build_capture(audio, o));
  tw::TwilioEnvelopeParser p;
  std::vector<EventKind> kinds;
  std::vector<std::uint64_t> timestamps, sequence;
  std::vector<std::uint8_t> joined;
  for (std::string line; std::getline(lines, line);) {
    auto m = p.parse(line);
    kinds.push_back(m.kind);
    if (m.sequence_number) sequence.push_back(*m.sequence_number);
    if (m.kind == EventKind::kMedia) {
      EXPECT_EQ(m.stream_sid, "MZabc");
      timestamps.push_back(m.media.timestamp_ms);
      auto bytes = decode(m.media.payload_base64);
      joined.insert(joined.end(), bytes.begin(), bytes.end());
    }
  }
  EXPECT_EQ(kinds, (std::vector<EventKind>{EventKind::kConnected, EventKind::kStart, EventKind::kMedia, EventKind::kMedia,
                                           EventKind::kMedia, EventKind::kStop}));
  EXPECT_EQ(timestamps, (std::vector<std::uint64_t>{0, 20, 40}));
  EXPECT_EQ(sequence, (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(joined, audio);
}
