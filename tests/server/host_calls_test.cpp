// Live calls over real loopback WebSockets against an in-process host: echo, separation of
// concurrent calls, and the lifecycle of a call whose client vanishes.
#include "server/host_fixture.hpp"

namespace mediaflow::test {
namespace {

namespace tw = protocol::twilio;

TEST_F(HostTest, EchoCallReturnsCallerAudioByteExactAndClosesNormallyAfterStop) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  const auto starts_before = metrics().pipeline_start().snapshot().count;
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(tw::encode_connected()));
  ASSERT_TRUE(ws.send_text(start_message("echo")));
  auto sent = send_media(ws, 50, 1);
  ASSERT_TRUE(ws.send_text(tw::encode_stop(52, "MZ00000000000000000000000000000001",
                                           "AC00000000000000000000000000000001",
                                           "CA00000000000000000000000000000001")));
  std::vector<uint8_t> back;
  std::vector<std::string> texts;
  EXPECT_EQ(read_until_close(ws, &back, &texts), 1000);
  EXPECT_EQ(back, sent);
  ASSERT_FALSE(texts.empty());
  EXPECT_NE(texts[0].find("\"streamSid\":\"MZ00000000000000000000000000000001\""), std::string::npos);
  EXPECT_TRUE(eventually([&] { return host_->active_calls() == 0; }));
  EXPECT_EQ(metrics().pipeline_start().snapshot().count, starts_before + 1);
}

TEST_F(HostTest, TwoConcurrentCallsStaySeparate) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket a, b;
  ASSERT_EQ(a.connect(port(), "/rtm/voice"), 101);
  ASSERT_EQ(b.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(a.send_text(start_message("echo", "CA000000000000000000000000000000aa", "MZ000000000000000000000000000000aa")));
  ASSERT_TRUE(b.send_text(start_message("echo", "CA000000000000000000000000000000bb", "MZ000000000000000000000000000000bb")));
  std::vector<uint8_t> sent_a, sent_b;
  for (int i = 0; i < 10; ++i) {
    auto fa = send_media(a, 2, uint8_t(10 + i), "MZ000000000000000000000000000000aa", 2 * i);
    auto fb = send_media(b, 2, uint8_t(100 + i), "MZ000000000000000000000000000000bb", 2 * i);
    sent_a.insert(sent_a.end(), fa.begin(), fa.end());
    sent_b.insert(sent_b.end(), fb.begin(), fb.end());
  }
  a.send_text(tw::encode_stop(99, "MZ000000000000000000000000000000aa", "AC", "CA"));
  b.send_text(tw::encode_stop(99, "MZ000000000000000000000000000000bb", "AC", "CA"));
  std::vector<uint8_t> back_a, back_b;
  std::vector<std::string> texts_a, texts_b;
  EXPECT_EQ(read_until_close(a, &back_a, &texts_a), 1000);
  EXPECT_EQ(read_until_close(b, &back_b, &texts_b), 1000);
  EXPECT_EQ(back_a, sent_a);
  EXPECT_EQ(back_b, sent_b);
  for (const auto& t : texts_a) EXPECT_NE(t.find("MZ000000000000000000000000000000aa"), std::string::npos);
  for (const auto& t : texts_b) EXPECT_NE(t.find("MZ000000000000000000000000000000bb"), std::string::npos);
}

TEST_F(HostTest, VanishedClientsCallIsTornDownAndGaugeReturnsToZero) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  const auto before = metrics().calls_total("client_gone").value();
  {
    RawWebSocket ws;
    ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
    ASSERT_TRUE(ws.send_text(start_message("echo")));
    send_media(ws, 5, 3);
    ASSERT_TRUE(eventually([&] { return host_->active_calls() == 1; }));
    EXPECT_EQ(metrics().calls_active().value(), 1);
    ws.close_socket();  // no close frame: the client just vanished
  }
  EXPECT_TRUE(eventually([&] { return host_->active_calls() == 0; }));
  EXPECT_EQ(metrics().calls_active().value(), 0);
  EXPECT_EQ(metrics().calls_total("client_gone").value(), before + 1);
}

TEST_F(HostTest, TextPingIsAnsweredPong) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text("ping"));
  auto f = ws.read_frame();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->opcode, 1);
  EXPECT_EQ(f->payload, "pong");
}

TEST_F(HostTest, UnknownPipelineClosesWith1008) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_message("no-such-pipeline")));
  EXPECT_EQ(ws.wait_close(), 1008);
}

TEST_F(HostTest, StartWithoutPipelineUsesDefaultPipeline) {
  config_.default_pipeline = "echo";
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_message("")));
  auto sent = send_media(ws, 3, 9);
  ws.send_text(tw::encode_stop(9, "MZ00000000000000000000000000000001", "AC", "CA"));
  std::vector<uint8_t> back;
  EXPECT_EQ(read_until_close(ws, &back), 1000);
  EXPECT_EQ(back, sent);
}

}  // namespace
}  // namespace mediaflow::test
