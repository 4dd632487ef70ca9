// The call WebSocket against a strict peer (RFC 6455 §5.5.1, §7.4, §8.1, §7.1.1), each case on
// the real /rtm/voice endpoint of an in-process host: text must be UTF-8 (1007), close frames
// must carry a code that may be sent (1002) and a UTF-8 reason (1007), valid codes are echoed,
// and a peer that keeps sending after a protocol error still reads the close frame and sees the
// connection end with a FIN, not a reset.
#include "server/host_fixture.hpp"

#include <atomic>
#include <cerrno>
#include <thread>

namespace mediaflow::test {
namespace {

std::string code_bytes(uint16_t code) { return {char(code >> 8), char(code & 0xff)}; }

class HostStrictPeerTest : public HostTest {
 protected:
  // A connection with a call on the echo pipeline, so every case also ends a real call.
  void open_call(RawWebSocket& ws) {
    ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
    ASSERT_TRUE(ws.send_text(start_message("echo")));
    ASSERT_TRUE(eventually([&] { return host_->active_calls() >= 1; }));
  }
};

TEST_F(HostStrictPeerTest, TextThatIsNotUtf8ClosesWith1007) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  const auto before = metrics().messages_rejected("protocol_error").value();
  RawWebSocket ws;
  ASSERT_NO_FATAL_FAILURE(open_call(ws));
  ASSERT_TRUE(ws.send_text("{\"event\":\"mark\",\"mark\":{\"name\":\"\xc0\xaf\"}}"));
  EXPECT_EQ(ws.wait_close(8000), 1007);
  EXPECT_EQ(metrics().messages_rejected("protocol_error").value(), before + 1);
  EXPECT_TRUE(eventually([&] { return host_->active_calls() == 0; }));
}

TEST_F(HostStrictPeerTest, FragmentedTextIsCheckedAcrossFragments) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ok;
  ASSERT_EQ(ok.connect(port(), "/rtm/voice"), 101);
  // "ping" in two fragments is still the keepalive text; an 'é' split between fragments is fine.
  ASSERT_TRUE(ok.send_frame(1, "pi", false));
  ASSERT_TRUE(ok.send_frame(0, "ng", true));
  auto pong = ok.read_frame();
  ASSERT_TRUE(pong.has_value());
  EXPECT_EQ(pong->payload, "pong");

  RawWebSocket bad;
  ASSERT_EQ(bad.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(bad.send_frame(1, "caf\xc3", false));
  ASSERT_TRUE(bad.send_frame(0, "\xa9 \xed\xa0\x80", false));  // a surrogate: fails now
  EXPECT_EQ(bad.wait_close(), 1007);
}

TEST_F(HostStrictPeerTest, CloseWithACodeThatMayNotBeSentIsAnsweredWith1002) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
    RawWebSocket ws;
    ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
    ASSERT_TRUE(ws.send_frame(8, code_bytes(uint16_t(code))));
    EXPECT_EQ(ws.wait_close(), 1002) << code;
  }
}

TEST_F(HostStrictPeerTest, CloseWithAOneBytePayloadIsAnsweredWith1002) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_frame(8, "x"));
  EXPECT_EQ(ws.wait_close(), 1002);
}

TEST_F(HostStrictPeerTest, CloseWithAReasonThatIsNotUtf8IsAnsweredWith1007) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_NO_FATAL_FAILURE(open_call(ws));
  ASSERT_TRUE(ws.send_frame(8, code_bytes(1000) + "bye \xce\xba\xed\xa0\x80"));
  EXPECT_EQ(ws.wait_close(8000), 1007);
  EXPECT_TRUE(eventually([&] { return host_->active_calls() == 0; }));
}

TEST_F(HostStrictPeerTest, CloseWithAValidCodeIsEchoed) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999}) {
    RawWebSocket ws;
    ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
    ASSERT_TRUE(ws.send_frame(8, code_bytes(code) + "fine"));
    auto f = ws.wait_close_frame();
    ASSERT_TRUE(f.has_value()) << code;
    EXPECT_EQ(f->close_code(), code);
    EXPECT_EQ(f->payload.size(), 2u) << "the echo carries the code only";
  }
  RawWebSocket empty;
  ASSERT_EQ(empty.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(empty.send_frame(8, ""));
  auto f = empty.wait_close_frame();
  ASSERT_TRUE(f.has_value());
  EXPECT_TRUE(f->payload.empty()) << "no code in, no code out (1005 is never sent)";
}

TEST_F(HostStrictPeerTest, ControlFramesOver125BytesOrFragmentedAreRefusedWith1002) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket big;
  ASSERT_EQ(big.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(big.send_frame(9, std::string(126, 'p')));
  EXPECT_EQ(big.wait_close(), 1002);
  RawWebSocket fragmented;
  ASSERT_EQ(fragmented.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(fragmented.send_frame(9, "ping", /*fin=*/false));
  EXPECT_EQ(fragmented.wait_close(), 1002);
  RawWebSocket reserved;
  ASSERT_EQ(reserved.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(reserved.send_frame(3, "op"));
  EXPECT_EQ(reserved.wait_close(), 1002);
}

TEST_F(HostStrictPeerTest, APeerThatKeepsSendingAfterAnErrorReadsTheCloseAndAFinNotAReset) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_NO_FATAL_FAILURE(open_call(ws));
  ASSERT_TRUE(ws.send_text("\xff not text"));
  // The peer goes on sending (a frame a millisecond) until it has read the close frame, as a
  // client busy streaming would.
  std::atomic<bool> stop{false};
  std::atomic<int> write_failures{0};
  std::thread sender([&] {
    const std::string media = std::string(1000, 'm');
    while (!stop) {
      if (!ws.send_frame(2, media)) ++write_failures;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  const uint16_t code = ws.wait_close(8000);
  stop = true;
  sender.join();
  EXPECT_EQ(code, 1007);
  ws.shutdown_write();
  EXPECT_EQ(ws.read_until_end(), 0) << "the connection ended with a reset (errno), not a FIN";
  EXPECT_EQ(write_failures.load(), 0) << "the host reset the connection while the peer was sending";
  EXPECT_TRUE(eventually([&] { return host_->active_calls() == 0; }));
}

}  // namespace
}  // namespace mediaflow::test
