// vendor::StreamingSession without a connection: what push_audio() asks of its owner.
#include <mediaflow/vendor/streaming_session.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace {

using mediaflow::vendor::SessionConfig;
using mediaflow::vendor::SessionEvents;
using mediaflow::vendor::StreamingSession;

// A flush is worth scheduling only once a whole message (chunk-ms) is pending: at 100 ms
// messages of 20 ms frames, one scheduled flush per 5 frames, not one per frame (each is a
// closure and a trip through the loop for nothing to send).
TEST(StreamingSession, AFlushIsScheduledOnlyOnceAWholeMessageIsPending) {
  SessionConfig config;
  config.framing.bytes_per_second = 8000;  // mu-law 8 kHz
  config.framing.frame_bytes = 1;
  config.framing.silence = 0xFF;
  config.framing.min_message_bytes = 800;  // 100 ms
  config.framing.max_message_bytes = 800;
  config.backlog_bytes = 80000;
  auto session = StreamingSession::create(config, SessionEvents{});
  const std::vector<std::uint8_t> frame(160, 0x55);  // 20 ms
  std::uint64_t t = 0;
  for (int i = 0; i < 4; ++i, t += 20000000)
    EXPECT_FALSE(session->push_audio(frame.data(), frame.size(), t)) << "frame " << i << ": less than a message";
  EXPECT_TRUE(session->push_audio(frame.data(), frame.size(), t)) << "the fifth frame completes 100 ms";
  t += 20000000;
  EXPECT_FALSE(session->push_audio(frame.data(), frame.size(), t)) << "a flush is already scheduled";
  session->flush();  // not connected: sends nothing, but the scheduled flush has run
  t += 20000000;
  EXPECT_TRUE(session->push_audio(frame.data(), frame.size(), t)) << "still a whole message pending (unsent)";
  EXPECT_EQ(session->end_time(), 7 * 20000000ull);
  session->shutdown();
}

}  // namespace
