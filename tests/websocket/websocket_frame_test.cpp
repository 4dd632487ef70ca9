#include <mediaflow/protocol/websocket_frame.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ws = mediaflow::protocol::websocket;

namespace {

const ws::MaskKey kKey{0x37, 0xfa, 0x21, 0x3d};

struct Received {
  ws::Opcode opcode;
  std::string payload;
};

struct Feeder {
  ws::MessageReader reader;
  std::vector<Received> messages;
  std::optional<ws::ReadError> error;

  explicit Feeder(ws::MessageReader::Role role = ws::MessageReader::Role::kServer, std::size_t max = 1 << 16)
      : reader(role, max) {}

  void feed(std::string bytes) {
    error = reader.feed(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size()),
                        [&](const ws::Message& m) {
                          messages.push_back({m.opcode, std::string(reinterpret_cast<const char*>(m.payload.data()),
                                                                    m.payload.size())});
                          return true;
                        });
  }
};

// A client frame built by hand (for frames append_frame never makes: not final, odd bits).
std::string raw_frame(std::uint8_t b0, std::string_view payload, bool masked = true) {
  std::string out;
  out.push_back(static_cast<char>(b0));
  std::uint8_t len = payload.size() < 126 ? static_cast<std::uint8_t>(payload.size()) : 126;
  out.push_back(static_cast<char>((masked ? 0x80 : 0) | len));
  if (len == 126) {
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size() & 0xff));
  }
  std::string body(payload);
  if (masked) {
    out.append(reinterpret_cast<const char*>(kKey.data()), 4);
    ws::apply_mask(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(body.data()), body.size()), kKey);
  }
  return out + body;
}

}  // namespace

TEST(WebSocketFrame, Rfc6455ExampleFramesEncodeExactly) {
  // RFC 6455 §5.7: a single-frame unmasked text message "Hello" and the masked one.
  std::string unmasked;
  ws::append_frame(unmasked, ws::Opcode::kText, "Hello");
  EXPECT_EQ(unmasked, std::string("\x81\x05\x48\x65\x6c\x6c\x6f", 7));
  std::string masked;
  ws::append_frame(masked, ws::Opcode::kText, "Hello", &kKey);
  EXPECT_EQ(masked, std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
}

TEST(WebSocketFrame, ServerReadsMaskedClientMessagesOfEveryLengthForm) {
  for (std::size_t size : {0u, 5u, 125u, 126u, 400u, 65535u, 65536u, 70000u}) {
    Feeder f(ws::MessageReader::Role::kServer, 1 << 20);
    std::string payload(size, '\0');
    for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('a' + i % 26);
    std::string frame;
    ws::append_frame(frame, ws::Opcode::kText, payload, &kKey);
    f.feed(frame);
    ASSERT_FALSE(f.error) << size;
    ASSERT_EQ(f.messages.size(), 1u) << size;
    EXPECT_EQ(f.messages[0].payload, payload) << size;
    EXPECT_EQ(f.reader.buffered_bytes(), 0u);
  }
}

TEST(WebSocketFrame, MessagesSplitAtEveryByteBoundaryArriveWhole) {
  std::string stream;
  ws::append_frame(stream, ws::Opcode::kText, std::string(300, 'x'), &kKey);
  ws::append_frame(stream, ws::Opcode::kPing, "p", &kKey);
  ws::append_frame(stream, ws::Opcode::kText, "{\"event\":\"stop\"}", &kKey);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    Feeder f;
    f.feed(stream.substr(0, cut));
    f.feed(stream.substr(cut));
    ASSERT_FALSE(f.error) << cut;
    ASSERT_EQ(f.messages.size(), 3u) << cut;
    EXPECT_EQ(f.messages[0].payload, std::string(300, 'x'));
    EXPECT_EQ(f.messages[1].opcode, ws::Opcode::kPing);
    EXPECT_EQ(f.messages[2].payload, "{\"event\":\"stop\"}");
  }
  Feeder bytewise;
  for (char c : stream) bytewise.feed(std::string(1, c));
  EXPECT_EQ(bytewise.messages.size(), 3u);
}

TEST(WebSocketFrame, FragmentedMessageIsReassembledAroundAControlFrame) {
  Feeder f;
  f.feed(raw_frame(0x01, "{\"event\":"));  // text, not final
  f.feed(raw_frame(0x89, "keepalive"));    // ping between fragments (allowed)
  f.feed(raw_frame(0x00, "\"stop\""));     // continuation, not final
  f.feed(raw_frame(0x80, "}"));            // continuation, final
  ASSERT_FALSE(f.error);
  ASSERT_EQ(f.messages.size(), 2u);
  EXPECT_EQ(f.messages[0].opcode, ws::Opcode::kPing);
  EXPECT_EQ(f.messages[1].opcode, ws::Opcode::kText);
  EXPECT_EQ(f.messages[1].payload, "{\"event\":\"stop\"}");
  EXPECT_EQ(f.reader.buffered_bytes(), 0u);
}

TEST(WebSocketFrame, OversizedSingleFrameIsRefusedOnItsHeader) {
  Feeder f(ws::MessageReader::Role::kServer, 1000);
  std::string frame;
  ws::append_frame(frame, ws::Opcode::kText, std::string(1001, 'a'), &kKey);
  f.feed(frame.substr(0, 8));  // header and mask key only: refused before the payload arrives
  ASSERT_TRUE(f.error);
  EXPECT_EQ(f.error->code, ws::close_code::kTooBig);
  EXPECT_TRUE(f.messages.empty());
}

TEST(WebSocketFrame, FragmentedMessageIsCappedAtTheFragmentThatCrossesTheLimit) {
  Feeder f(ws::MessageReader::Role::kServer, 1000);
  f.feed(raw_frame(0x01, std::string(400, 'a')));
  f.feed(raw_frame(0x00, std::string(400, 'a')));
  ASSERT_FALSE(f.error);
  EXPECT_EQ(f.reader.buffered_bytes(), 800u);
  f.feed(raw_frame(0x80, std::string(201, 'a')));
  ASSERT_TRUE(f.error);
  EXPECT_EQ(f.error->code, ws::close_code::kTooBig);
  EXPECT_EQ(f.reader.buffered_bytes(), 0u);
}

TEST(WebSocketFrame, ProtocolViolationsAreReportedWith1002) {
  struct Case {
    const char* what;
    std::string bytes;
  } cases[] = {
      {"unmasked client frame", raw_frame(0x81, "hi", false)},
      {"reserved bit", raw_frame(0xC1, "hi")},
      {"unknown opcode", raw_frame(0x83, "hi")},
      {"fragmented ping", raw_frame(0x09, "hi")},
      {"continuation first", raw_frame(0x80, "hi")},
      {"control frame over 125 bytes", raw_frame(0x89, std::string(126, 'p'))},
      {"new message inside a fragmented one", raw_frame(0x01, "a") + raw_frame(0x81, "b")},
  };
  for (auto& c : cases) {
    Feeder f;
    f.feed(c.bytes);
    ASSERT_TRUE(f.error) << c.what;
    EXPECT_EQ(f.error->code, ws::close_code::kProtocolError) << c.what;
    f.feed(raw_frame(0x81, "after"));  // nothing more is read after an error
    EXPECT_TRUE(f.messages.empty()) << c.what;
  }
}

TEST(WebSocketFrame, ClientRoleRefusesMaskedServerFrames) {
  Feeder client(ws::MessageReader::Role::kClient);
  std::string frame;
  ws::append_frame(frame, ws::Opcode::kText, "ok");
  client.feed(frame);
  ASSERT_EQ(client.messages.size(), 1u);
  client.feed(raw_frame(0x81, "masked"));
  ASSERT_TRUE(client.error);
  EXPECT_EQ(client.error->code, ws::close_code::kProtocolError);
}

TEST(WebSocketFrame, CloseFrameCarriesCodeAndAReasonCutOnAUtf8Boundary) {
  std::string frame;
  std::string reason(121, 'r');
  reason += "\xc3\xa9\xc3\xa9";  // "éé": the cut at 123 bytes falls inside the second é
  ws::append_close_frame(frame, 1013, reason);
  Feeder client(ws::MessageReader::Role::kClient);
  client.feed(frame);
  ASSERT_EQ(client.messages.size(), 1u);
  EXPECT_EQ(client.messages[0].opcode, ws::Opcode::kClose);
  auto close = ws::parse_close_payload(client.messages[0].payload);
  ASSERT_TRUE(close);
  EXPECT_EQ(close->code, 1013);
  EXPECT_EQ(close->reason, reason.substr(0, 123));
  EXPECT_EQ(ws::parse_close_payload("")->code, ws::close_code::kNoStatus);
  EXPECT_FALSE(ws::parse_close_payload("x"));
}

TEST(WebSocketFrame, ACloseIsAnsweredWithItsCodeAndNoReason) {
  EXPECT_EQ(ws::close_echo_payload(ws::close_payload(4001, "bye now")),
            ws::close_payload(4001, ""));
  EXPECT_EQ(ws::close_echo_payload(""), "");  // no code: none back
}

TEST(WebSocketFrame, MaskingAtAnOffsetMatchesMaskingTheWhole) {
  std::string data(37, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  std::string whole = data;
  ws::apply_mask(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(whole.data()), whole.size()), kKey);
  std::string parts = data;
  auto* p = reinterpret_cast<std::uint8_t*>(parts.data());
  ws::apply_mask(std::span<std::uint8_t>(p, 11), kKey, 0);
  ws::apply_mask(std::span<std::uint8_t>(p + 11, 26), kKey, 11);
  EXPECT_EQ(parts, whole);
  ws::apply_mask(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(whole.data()), whole.size()), kKey);
  EXPECT_EQ(whole, data);
}
