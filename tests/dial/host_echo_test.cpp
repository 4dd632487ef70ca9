// The simulated caller against the real host (`mediaflow serve`, spawned): the `echo`
// pipeline returns the caller's audio sample-exact, and concurrent calls stay separate.
#include <mediaflow/dial/twilio_caller.hpp>

#include "support/host_process.hpp"

#include <gtest/gtest.h>

#include <glib.h>

namespace mediaflow::dial {
namespace {

std::vector<uint8_t> pattern(size_t bytes, uint8_t seed) {
  std::vector<uint8_t> a(bytes);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : a) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  return a;
}

CallerOptions echo_call(const std::string& url, std::vector<uint8_t> audio, bool realtime) {
  CallerOptions o;
  o.url = url;
  o.custom_parameters = {{"pipeline", "echo"}};
  o.audio = std::move(audio);
  o.realtime = realtime;
  o.close_timeout_seconds = 10;
  return o;
}

TEST(DialHost, EchoPipelineReturnsCallerAudioSampleExact) {
  auto host = test::start_host();
  ASSERT_TRUE(host);
  auto audio = pattern(16000, 1);  // 2 s, 100 frames
  CallResult r = run_call(echo_call(host->ws_url(), audio, true));
  ASSERT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.close_code, 1000) << r.close_reason;
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.frames_sent, 100u);
  EXPECT_EQ(r.received_audio, audio);
  EXPECT_EQ(r.frames_matched, 100u);
}

TEST(DialHost, TwoConcurrentCallsStaySeparate) {
  auto host = test::start_host();
  ASSERT_TRUE(host);
  GMainContext* ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  auto audio_a = pattern(12000, 2), audio_b = pattern(12000, 3);
  CallerOptions a = echo_call(host->ws_url(), audio_a, true), b = echo_call(host->ws_url(), audio_b, true);
  a.call_sid = "CA0000000000000000000000000000000a";
  b.call_sid = "CA0000000000000000000000000000000b";
  a.stream_sid = "MZ0000000000000000000000000000000a";
  b.stream_sid = "MZ0000000000000000000000000000000b";
  int done = 0;
  {
    TwilioCaller ca(ctx, a), cb(ctx, b);
    ca.start([&](const CallResult&) { ++done; });
    cb.start([&](const CallResult&) { ++done; });
    while (done < 2) g_main_context_iteration(ctx, TRUE);
    EXPECT_EQ(ca.result().close_code, 1000);
    EXPECT_EQ(cb.result().close_code, 1000);
    EXPECT_EQ(ca.result().received_audio, audio_a);
    EXPECT_EQ(cb.result().received_audio, audio_b);
  }
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
}

TEST(DialHost, HostStopsWithExitZeroOnSigterm) {
  auto host = test::start_host();
  ASSERT_TRUE(host);
  EXPECT_GT(host->port(), 0);
  EXPECT_EQ(host->stop(), 0);
  EXPECT_FALSE(host->running());
}

}  // namespace
}  // namespace mediaflow::dial
