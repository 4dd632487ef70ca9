// The Twilio side's parser for host → Twilio messages, against the host's own encoders.
#include <mediaflow/protocol/twilio_envelope.hpp>
#include <mediaflow/protocol/twilio_outbound.hpp>

#include <gtest/gtest.h>

namespace mediaflow::protocol::twilio {
namespace {

TEST(DialOutboundParser, ReadsWhatTheHostEncodes) {
  TwilioOutboundParser p;
  const uint8_t audio[] = {0xFF, 0x00, 0x7F, 0x80};
  OutboundMessage m = p.parse(encode_outbound_media("MZ1", audio));
  ASSERT_EQ(m.kind, OutboundKind::kMedia);
  EXPECT_EQ(m.stream_sid, "MZ1");
  uint8_t out[8];
  auto n = decode_base64(m.payload_base64, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::vector<uint8_t>(out, out + *n), std::vector<uint8_t>(audio, audio + 4));

  m = p.parse(encode_outbound_mark("MZ1", "utt-7"));
  ASSERT_EQ(m.kind, OutboundKind::kMark);
  EXPECT_EQ(m.mark_name, "utt-7");
  EXPECT_EQ(p.parse(encode_outbound_clear("MZ1")).kind, OutboundKind::kClear);
}

TEST(DialOutboundParser, BadInputIsMalformedNotACrash) {
  TwilioOutboundParser p;
  EXPECT_EQ(p.parse("").kind, OutboundKind::kMalformed);
  EXPECT_EQ(p.parse("pong").kind, OutboundKind::kMalformed);
  EXPECT_EQ(p.parse("[1,2]").kind, OutboundKind::kMalformed);
  EXPECT_EQ(p.parse(R"({"event":"media","streamSid":"MZ1"})").kind, OutboundKind::kMalformed);
  EXPECT_EQ(p.parse(R"({"event":"mark","streamSid":"MZ1","mark":{"name":3}})").kind, OutboundKind::kMalformed);
  EXPECT_EQ(p.parse(R"({"event":"media","media":{"payload":"AA=="}})").kind, OutboundKind::kMalformed);
  EXPECT_EQ(p.parse(R"({"event":"dance","streamSid":"MZ1"})").kind, OutboundKind::kUnknown);
}

}  // namespace
}  // namespace mediaflow::protocol::twilio
