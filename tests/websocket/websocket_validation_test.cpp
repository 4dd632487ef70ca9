// RFC 6455 rules on what a peer sends that go beyond framing: text must be UTF-8 (§8.1), close
// frames must carry a code that may be sent and a UTF-8 reason (§5.5.1, §7.4). Both roles.
#include <mediaflow/protocol/websocket_frame.hpp>

#include "support/paths.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace ws = mediaflow::protocol::websocket;

namespace {

const ws::MaskKey kKey{0x11, 0x22, 0x33, 0x44};
using Role = ws::MessageReader::Role;

struct Reader {
  ws::MessageReader reader;
  std::vector<std::pair<ws::Opcode, std::string>> messages;
  std::optional<ws::ReadError> error;

  explicit Reader(Role role) : reader(role, 1 << 16) {}

  void feed(std::string bytes) {
    error = reader.feed(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size()),
                        [&](const ws::Message& m) {
                          messages.emplace_back(m.opcode, std::string(reinterpret_cast<const char*>(m.payload.data()),
                                                                      m.payload.size()));
                          return true;
                        });
  }
};

// One frame as the peer of `role` would send it (masked towards a server).
std::string frame(Role role, std::uint8_t b0, std::string_view payload) {
  std::string out;
  out.push_back(static_cast<char>(b0));
  const bool masked = role == Role::kServer;
  out.push_back(static_cast<char>((masked ? 0x80 : 0) | payload.size()));  // < 126 here
  std::string body(payload);
  if (masked) {
    out.append(reinterpret_cast<const char*>(kKey.data()), 4);
    ws::apply_mask(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(body.data()), body.size()), kKey);
  }
  return out + body;
}

std::string code_bytes(std::uint16_t code) {
  return {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
}

const std::uint16_t kForbiddenCodes[] = {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535};
const std::uint16_t kValidCodes[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999};

class BothRoles : public ::testing::TestWithParam<Role> {};

}  // namespace

TEST_P(BothRoles, TextThatIsNotUtf8FailsWith1007) {
  Reader r(GetParam());
  r.feed(frame(GetParam(), 0x81, "{\"event\":\"media\xff\"}"));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ws::close_code::kInvalidPayload);
  EXPECT_TRUE(r.messages.empty());
}

TEST_P(BothRoles, BinaryIsNotCheckedForUtf8) {
  Reader r(GetParam());
  r.feed(frame(GetParam(), 0x82, "\xff\xfe"));
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.messages.size(), 1u);
}

TEST_P(BothRoles, FragmentedTextFailsAtTheFirstBadFragment) {
  Reader r(GetParam());
  r.feed(frame(GetParam(), 0x01, "\xce\xba\xe1\xbd\xb9"));
  ASSERT_FALSE(r.error);
  r.feed(frame(GetParam(), 0x00, "\xed\xa0\x80"));  // a surrogate: no later fragment can fix it
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ws::close_code::kInvalidPayload);
}

TEST_P(BothRoles, FragmentedTextWithACharacterSplitBetweenFragmentsIsAccepted) {
  Reader r(GetParam());
  r.feed(frame(GetParam(), 0x01, "caf\xc3"));
  r.feed(frame(GetParam(), 0x89, ""));  // a ping between the fragments
  r.feed(frame(GetParam(), 0x00, "\xa9 \xf0\x9f"));
  r.feed(frame(GetParam(), 0x80, "\x98\x80"));
  ASSERT_FALSE(r.error) << r.error->reason;
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[1].second, "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

TEST_P(BothRoles, FragmentedTextEndingInsideACharacterFailsWith1007) {
  Reader r(GetParam());
  r.feed(frame(GetParam(), 0x01, "ok"));
  r.feed(frame(GetParam(), 0x80, "\xe2\x82"));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ws::close_code::kInvalidPayload);
}

TEST_P(BothRoles, CloseWithAOneBytePayloadFailsWith1002) {
  Reader r(GetParam());
  r.feed(frame(GetParam(), 0x88, "x"));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ws::close_code::kProtocolError);
}

TEST_P(BothRoles, CloseWithACodeThatMayNotBeSentFailsWith1002) {
  for (std::uint16_t code : kForbiddenCodes) {
    Reader r(GetParam());
    r.feed(frame(GetParam(), 0x88, code_bytes(code)));
    ASSERT_TRUE(r.error) << code;
    EXPECT_EQ(r.error->code, ws::close_code::kProtocolError) << code;
    EXPECT_TRUE(r.messages.empty()) << code;
  }
}

TEST_P(BothRoles, CloseWithAReasonThatIsNotUtf8FailsWith1007) {
  Reader r(GetParam());
  r.feed(frame(GetParam(), 0x88, code_bytes(1000) + "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ws::close_code::kInvalidPayload);
}

TEST_P(BothRoles, CloseWithAValidCodeIsHandedOut) {
  for (std::uint16_t code : kValidCodes) {
    Reader r(GetParam());
    r.feed(frame(GetParam(), 0x88, code_bytes(code) + "bye \xc3\xa9"));
    ASSERT_FALSE(r.error) << code;
    ASSERT_EQ(r.messages.size(), 1u) << code;
    EXPECT_EQ(ws::parse_close_payload(r.messages[0].second)->code, code);
  }
  Reader empty(GetParam());
  empty.feed(frame(GetParam(), 0x88, ""));
  ASSERT_FALSE(empty.error);
  EXPECT_EQ(empty.messages.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(WebSocketValidation, BothRoles, ::testing::Values(Role::kServer, Role::kClient),
                         [](const auto& info) { return info.param == Role::kServer ? "Server" : "Client"; });

TEST(WebSocketValidation, CloseEchoNeverCarriesAForbiddenCode) {
  for (std::uint16_t code : kValidCodes)
    EXPECT_EQ(ws::close_echo_payload(code_bytes(code) + "reason"), ws::close_payload(code, "")) << code;
  for (std::uint16_t code : kForbiddenCodes)
    EXPECT_EQ(ws::close_echo_payload(code_bytes(code)), ws::close_payload(1002, "")) << code;
  EXPECT_EQ(ws::close_echo_payload("x"), ws::close_payload(1002, ""));
  EXPECT_EQ(ws::close_echo_payload(code_bytes(1000) + "\xff"), ws::close_payload(1007, ""));
  EXPECT_EQ(ws::close_echo_payload(""), "");
}

TEST(WebSocketValidation, ClosePayloadReplacesACodeThatMayNotBeSentWith1011) {
  for (std::uint16_t code : kForbiddenCodes) {
    const std::string payload = ws::close_payload(code, "why");
    EXPECT_EQ(payload, code_bytes(1011) + "why") << code;
  }
  EXPECT_EQ(ws::close_payload(4000, "app"), code_bytes(4000) + "app");
}

// The saved fuzz inputs for the frame reader (tests/fuzz/regressions/websocket_frame_*), fed
// in one piece and byte by byte: each ends in the error a strict peer expects.
TEST(WebSocketValidation, SavedFrameInputsFailWithTheirCode) {
  const std::pair<const char*, std::uint16_t> cases[] = {
      {"text_not_utf8", 1007},  {"fragmented_text_surrogate", 1007}, {"close_one_byte", 1002},
      {"close_code_1005", 1002}, {"close_code_5000", 1002},          {"close_reason_not_utf8", 1007},
  };
  for (const auto& [target, role] : {std::pair{"websocket_frame_server", Role::kServer},
                                     std::pair{"websocket_frame_client", Role::kClient}}) {
    for (const auto& [name, code] : cases) {
      const std::string bytes = mediaflow::test::fuzz_regression(target, name);
      ASSERT_FALSE(bytes.empty()) << target << "/" << name;
      Reader whole(role);
      whole.feed(bytes);
      ASSERT_TRUE(whole.error) << target << "/" << name;
      EXPECT_EQ(whole.error->code, code) << target << "/" << name;
      Reader bytewise(role);
      for (char c : bytes) {
        if (bytewise.error) break;
        bytewise.feed(std::string(1, c));
      }
      ASSERT_TRUE(bytewise.error) << target << "/" << name;
      EXPECT_EQ(bytewise.error->code, code) << target << "/" << name;
    }
  }
}
