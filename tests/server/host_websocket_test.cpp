// The call WebSocket's own framing (RFC 6455) as a client sees it: control frames, the close
// handshake in both directions, protocol violations, keepalive pings.
#include "server/host_fixture.hpp"

#include <sys/socket.h>

namespace mediaflow::test {
namespace {

TEST_F(HostTest, ClientPingIsAnsweredWithAPongCarryingItsPayload) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_frame(9, "are-you-there"));
  auto f = ws.read_frame();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->opcode, 10);
  EXPECT_EQ(f->payload, "are-you-there");
}

TEST_F(HostTest, HostSendsKeepalivePingsOnTheConfiguredInterval) {
  config_.keepalive_interval_seconds = 1;
  config_.pong_timeout_seconds = 10;
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_message("echo")));
  // read_frame answers pings itself, so ask for the next frame after > 2 intervals (pings go
  // out on the once-a-second housekeeping tick): the call is still open (no close frame)
  // because our pongs kept it alive.
  std::this_thread::sleep_for(std::chrono::milliseconds(3300));
  ASSERT_TRUE(ws.send_text("ping"));
  auto f = ws.read_frame(3000);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->opcode, 1);
  EXPECT_EQ(f->payload, "pong");
  EXPECT_GE(ws.pings_answered(), 2u);
}

TEST_F(HostTest, ClientCloseIsEchoedAndTheCallEnds) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_message("echo")));
  ASSERT_TRUE(eventually([&] { return host_->active_calls() == 1; }));
  ASSERT_TRUE(ws.send_frame(8, std::string("\x03\xe8", 2) + "bye"));  // 1000 "bye"
  auto f = ws.wait_close_frame();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->close_code(), 1000);
  EXPECT_TRUE(eventually([&] { return host_->active_calls() == 0; }));
}

TEST_F(HostTest, UnmaskedClientFrameIsAProtocolErrorClosedWith1002) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  const auto before = metrics().messages_rejected("protocol_error").value();
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  // A text frame without the mask bit: clients must mask (RFC 6455 §5.1).
  ASSERT_TRUE(ws.send_raw(std::string("\x81\x02hi", 4)));
  EXPECT_EQ(ws.wait_close(), 1002);
  EXPECT_EQ(metrics().messages_rejected("protocol_error").value(), before + 1);
  EXPECT_TRUE(eventually([&] { return host_->active_calls() == 0; }));
}

TEST_F(HostTest, OversizedFragmentedMessageIsRefusedBeforeItIsBufferedWhole) {
  // 64 fragments of 1000 bytes against a 4000-byte cap: the close comes while the client is
  // still sending, at the fragment that crosses the cap, not after the whole message.
  config_.max_message_bytes = 4000;
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_frame(1, std::string(1000, 'a'), /*fin=*/false));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(ws.send_frame(0, std::string(1000, 'b'), false));
  // No final fragment sent: a host that waited for the whole message would never answer.
  EXPECT_EQ(ws.wait_close(3000), 1009);
}

}  // namespace
}  // namespace mediaflow::test
