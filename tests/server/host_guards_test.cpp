// Each guard and each bad input of design.md's contract: the documented close code, or
// "counted and skipped, the call goes on", with its metric.
#include "server/host_fixture.hpp"

namespace mediaflow::test {
namespace {

namespace tw = protocol::twilio;

TEST_F(HostTest, BinaryFrameClosesWith1003) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  const auto before = metrics().messages_rejected("binary").value();
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_frame(2, std::string("\x01\x02\x03", 3)));
  EXPECT_EQ(ws.wait_close(), 1003);
  EXPECT_EQ(metrics().messages_rejected("binary").value(), before + 1);
}

TEST_F(HostTest, OversizedSingleFrameMessageClosesWith1009) {
  config_.max_message_bytes = 1000;
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(std::string(2000, 'x')));
  EXPECT_EQ(ws.wait_close(), 1009);
  EXPECT_GE(metrics().messages_rejected("too_large").value(), 1u);
}

TEST_F(HostTest, OversizedFragmentedMessageClosesWith1009) {
  // Each fragment is under the limit; the message is not (libsoup only caps frames).
  config_.max_message_bytes = 1000;
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_frame(1, std::string(400, 'a'), /*fin=*/false));
  ASSERT_TRUE(ws.send_frame(0, std::string(400, 'b'), false));
  ASSERT_TRUE(ws.send_frame(0, std::string(400, 'c'), true));
  EXPECT_EQ(ws.wait_close(), 1009);
}

TEST_F(HostTest, FragmentedMessageUnderTheLimitIsAccepted) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_frame(1, "pi", false));
  ASSERT_TRUE(ws.send_frame(0, "ng", true));
  auto f = ws.read_frame();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->payload, "pong");
}

TEST_F(HostTest, BadInputIsCountedAndSkippedAndTheCallGoesOn) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  auto& malformed = metrics().messages_rejected("malformed_json");
  auto& unknown = metrics().messages_rejected("unknown_event");
  auto& early = metrics().messages_rejected("media_before_start");
  auto& b64 = metrics().messages_rejected("bad_base64");
  const auto m0 = malformed.value(), u0 = unknown.value(), e0 = early.value(), b0 = b64.value();

  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  std::vector<uint8_t> frame(160, 0x55);
  ASSERT_TRUE(ws.send_text(tw::encode_inbound_media(1, "MZ1", "inbound", 1, 0, frame)));  // before start
  ASSERT_TRUE(ws.send_text(start_message("echo")));
  ASSERT_TRUE(ws.send_text("{not json"));
  ASSERT_TRUE(ws.send_text(R"({"event":"something-new","streamSid":"MZ1"})"));
  ASSERT_TRUE(ws.send_text(
      R"({"event":"media","sequenceNumber":"3","streamSid":"MZ1","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"@@not base64@@"}})"));
  auto sent = send_media(ws, 5, 4);
  ws.send_text(tw::encode_stop(20, "MZ00000000000000000000000000000001", "AC", "CA"));
  std::vector<uint8_t> back;
  EXPECT_EQ(read_until_close(ws, &back), 1000);
  EXPECT_EQ(back, sent);  // the call went on: every good frame came back
  EXPECT_EQ(malformed.value(), m0 + 1);
  EXPECT_EQ(unknown.value(), u0 + 1);
  EXPECT_EQ(early.value(), e0 + 1);
  EXPECT_EQ(b64.value(), b0 + 1);
}

TEST_F(HostTest, IdleCallIsClosed1000WithReasonIdle) {
  config_.idle_timeout_seconds = 1;
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_message("echo")));
  auto f = ws.wait_close_frame(6000);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->close_code(), 1000);
  EXPECT_EQ(f->payload.substr(2), "idle");
  EXPECT_TRUE(eventually([&] { return host_->active_calls() == 0; }));
}

TEST_F(HostTest, UnknownPathIs404) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  EXPECT_EQ(ws.connect(port(), "/rtm/voice/other"), 404);
  RawWebSocket ws2;
  EXPECT_EQ(ws2.connect(port(), "/elsewhere"), 404);
}

}  // namespace
}  // namespace mediaflow::test

namespace mediaflow::test {
namespace {

constexpr const char* kStreamSid = "MZ00000000000000000000000000000001";

// Echo sends every frame back; the caller reads nothing. Sends `batch` frames at a time and,
// after each batch, waits until the host has taken all of them in (frames_in), so the drop
// count is read at a point that does not depend on how fast this machine is. Returns the
// number of frames sent when outbound audio started being dropped (or `limit`).
int frames_until_backpressure(RawWebSocket& ws, int batch, int limit) {
  auto& dropped = metrics().frames_dropped("backpressure");
  const auto dropped_before = dropped.value();
  const auto in_before = metrics().frames_in().value();
  int sent = 0;
  while (sent < limit) {
    HostTest::send_media(ws, batch, uint8_t(sent / batch), kStreamSid, sent);
    sent += batch;
    EXPECT_TRUE(HostTest::eventually([&] { return metrics().frames_in().value() >= in_before + sent; }, 20000));
    if (dropped.value() > dropped_before) break;
  }
  return sent;
}

TEST_F(HostTest, ACallerThatStopsReadingGetsOutboundAudioDroppedNotUnboundedMemory) {
  config_.max_outbound_queue_bytes = 64 * 1024;
  config_.inbound_media_allowance_ms = 0;  // minutes of audio sent in seconds, on purpose
  ASSERT_NO_FATAL_FAILURE(start_host());
  const auto dropped_before = metrics().frames_dropped("backpressure").value();
  RawWebSocket ws;
  ws.limit_receive_buffer(16 * 1024);
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_message("echo")));
  const int sent = frames_until_backpressure(ws, 500, 100000);
  EXPECT_GT(metrics().frames_dropped("backpressure").value(), dropped_before) << "after " << sent << " frames";
  // The call is still healthy: it finishes normally once the caller reads again.
  ws.send_text(protocol::twilio::encode_stop(uint64_t(sent + 2), kStreamSid, "AC", "CA"));
  std::vector<uint8_t> back;
  EXPECT_EQ(read_until_close(ws, &back, nullptr, 20000), 1000);
  EXPECT_LT(back.size(), size_t(sent) * 160u);
}

// A stalled caller must reach our queue (and its drop counter) within seconds of audio, not
// after the megabytes an autotuned kernel send buffer would hide: SOCKET_SEND_BUFFER_BYTES.
TEST_F(HostTest, AStalledCallerIsNoticedWithinSecondsBecauseTheKernelSendBufferIsCapped) {
  config_.max_outbound_queue_bytes = 64 * 1024;
  config_.socket_send_buffer_bytes = 64 * 1024;
  config_.inbound_media_allowance_ms = 0;  // minutes of audio sent in seconds, on purpose
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ws.limit_receive_buffer(16 * 1024);
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_message("echo")));
  // Kernel: ≤ 2×64 KiB send + ≤ 2×16 KiB receive; queue 64 KiB; an echoed frame is ~250 bytes:
  // about 900 frames. Uncapped, loopback autotuning lets the send buffer reach 4 MiB (16k frames).
  const int sent = frames_until_backpressure(ws, 100, 20000);
  EXPECT_LE(sent, 1500) << "frames sent before the first drop";
  ws.send_text(protocol::twilio::encode_stop(uint64_t(sent + 2), kStreamSid, "AC", "CA"));
  EXPECT_EQ(read_until_close(ws, nullptr, nullptr, 20000), 1000);
}

}  // namespace
}  // namespace mediaflow::test
