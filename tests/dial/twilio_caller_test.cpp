// The simulated Twilio caller against a protocol-faithful fake host (tests/support).
#include <mediaflow/dial/twilio_caller.hpp>

#include "support/fake_twilio_host.hpp"
#include "support/press_key_call.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <numeric>

namespace mediaflow::dial {
namespace {

using test::FakeHostBehaviour;
using test::FakeTwilioHost;

std::vector<uint8_t> ramp_audio(size_t bytes) {
  std::vector<uint8_t> a(bytes);
  for (size_t i = 0; i < bytes; ++i) a[i] = static_cast<uint8_t>((i * 7 + i / 160) & 0xFF);
  return a;
}

CallerOptions fast_call(const std::string& url, size_t audio_bytes) {
  CallerOptions o;
  o.url = url;
  o.audio = ramp_audio(audio_bytes);
  o.realtime = false;
  o.close_timeout_seconds = 5;
  return o;
}

TEST(DialCaller, SendsTwilioEnvelopeInOrderAndGetsEchoBack) {
  FakeTwilioHost host;
  CallerOptions o = fast_call(host.url(), 8000);  // 1 s = 50 frames
  o.call_sid = "CA11111111111111111111111111111111";
  o.stream_sid = "MZ22222222222222222222222222222222";
  o.custom_parameters = {{"pipeline", "echo"}, {"organization_id", "acme"}};
  CallResult r = run_call(o);

  ASSERT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.http_status, 101u);
  EXPECT_EQ(r.close_code, 1000);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.frames_sent, 50u);
  EXPECT_EQ(r.frames_received, 50u);
  EXPECT_EQ(r.received_audio, o.audio);
  EXPECT_EQ(r.frames_matched, 50u);
  EXPECT_EQ(r.latency_ms.size(), 50u);

  ASSERT_TRUE(host.wait_closed(1));
  auto calls = host.calls();
  ASSERT_EQ(calls.size(), 1u);
  const auto& c = calls[0];
  ASSERT_EQ(c.events.size(), 53u);
  EXPECT_EQ(c.events.front(), "connected");
  EXPECT_EQ(c.events[1], "start");
  EXPECT_EQ(c.events.back(), "stop");
  EXPECT_EQ(c.start_sequence, 1u);
  EXPECT_EQ(c.start.call_sid, o.call_sid);
  EXPECT_EQ(c.start.stream_sid, o.stream_sid);
  EXPECT_EQ(c.start.custom_parameters, o.custom_parameters);
  EXPECT_EQ(c.start.tracks, std::vector<std::string>{"inbound"});
  EXPECT_EQ(c.start.media_format.encoding, "audio/x-mulaw");
  std::vector<uint64_t> seq(51);
  std::iota(seq.begin(), seq.end(), 2);  // media 2..51, stop 52
  EXPECT_EQ(c.sequence_numbers, seq);
  for (size_t i = 0; i < c.chunks.size(); ++i) {
    EXPECT_EQ(c.chunks[i], i + 1);
    EXPECT_EQ(c.timestamps_ms[i], i * 20);
  }
  EXPECT_EQ(c.audio, o.audio);
  EXPECT_TRUE(c.stop_received);
}

TEST(DialCaller, LastPartialFramePaddedWithSilence) {
  FakeTwilioHost host;
  CallResult r = run_call(fast_call(host.url(), 200));
  ASSERT_TRUE(host.wait_closed(1));
  auto c = host.calls().at(0);
  ASSERT_EQ(c.audio.size(), 320u);
  EXPECT_EQ(c.audio[199], ramp_audio(200)[199]);
  EXPECT_EQ(c.audio[200], 0xFF);
  EXPECT_EQ(r.frames_sent, 2u);
}

TEST(DialCaller, RefusedUpgradeReportsHttpStatus) {
  FakeHostBehaviour b;
  b.required_token = "s3cret";
  FakeTwilioHost host(b);
  CallResult r = run_call(fast_call(host.url(), 160));
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(r.http_status, 401u);
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(r.frames_sent, 0u);
}

TEST(DialCaller, TokenInPathQueryOrHeaderIsAccepted) {
  FakeHostBehaviour b;
  b.required_token = "s3cret";
  FakeTwilioHost host(b);
  CallerOptions path = fast_call(host.url("/jwt/s3cret"), 160);
  CallerOptions query = fast_call(host.url("?token=s3cret"), 160);
  CallerOptions header = fast_call(host.url(), 160);
  header.headers = {{"x-media-auth", "s3cret"}};
  for (const auto& o : {path, query, header}) {
    CallResult r = run_call(o);
    EXPECT_TRUE(r.connected) << o.url << ": " << r.error;
    EXPECT_EQ(r.close_code, 1000) << o.url;
  }
  ASSERT_TRUE(host.wait_closed(3));
  auto calls = host.calls();
  EXPECT_EQ(calls[0].path, "/rtm/voice/jwt/s3cret");
  EXPECT_EQ(calls[1].query, "token=s3cret");
  EXPECT_EQ(calls[2].headers.at("x-media-auth"), "s3cret");
}

TEST(DialCaller, MarkEchoedOnlyAfterItsAudioHasPlayed) {
  FakeHostBehaviour b;
  b.echo_media = false;
  b.greeting_bytes = 4800;  // 600 ms of audio, then the mark
  b.greeting_marks = {"after-greeting"};
  FakeTwilioHost host(b);
  CallerOptions o;
  o.url = host.url();
  o.audio = ramp_audio(8000);  // 1 s, real time
  CallResult r = run_call(o);
  ASSERT_EQ(r.close_code, 1000) << r.error;
  EXPECT_EQ(r.marks_received, std::vector<std::string>{"after-greeting"});
  EXPECT_EQ(r.marks_echoed, std::vector<std::string>{"after-greeting"});
  EXPECT_EQ(r.bytes_received, 4800u);
  ASSERT_TRUE(host.wait_closed(1));
  auto c = host.calls().at(0);
  ASSERT_EQ(c.marks_echoed, std::vector<std::string>{"after-greeting"});
  // Played in real time: never before its 600 ms of audio (a lower bound, not a speed test).
  EXPECT_GE(c.mark_echo_delay_ms.at(0), 590.0);
}

TEST(DialCaller, ClearDropsBufferedAudioAndEchoesPendingMarks) {
  FakeHostBehaviour b;
  b.echo_media = false;
  b.greeting_bytes = 80000;  // 10 s: cannot have played within this 1 s call
  b.greeting_marks = {"a", "b"};
  b.clear_after_frames = 10;
  FakeTwilioHost host(b);
  CallerOptions o;
  o.url = host.url();
  o.audio = ramp_audio(8000);
  CallResult r = run_call(o);
  ASSERT_EQ(r.close_code, 1000) << r.error;
  EXPECT_EQ(r.clears_received, 1u);
  EXPECT_EQ(r.marks_echoed, (std::vector<std::string>{"a", "b"}));
  EXPECT_GT(r.bytes_cleared, 8000u * 8);
  ASSERT_TRUE(host.wait_closed(1));
  EXPECT_EQ(host.calls().at(0).marks_echoed, (std::vector<std::string>{"a", "b"}));
}

TEST(DialCaller, WithoutClearUnplayedMarksAreNotEchoed) {
  FakeHostBehaviour b;
  b.echo_media = false;
  b.greeting_bytes = 80000;
  b.greeting_marks = {"a"};
  FakeTwilioHost host(b);
  CallerOptions o;
  o.url = host.url();
  o.audio = ramp_audio(1600);
  CallResult r = run_call(o);
  ASSERT_EQ(r.close_code, 1000) << r.error;
  EXPECT_EQ(r.marks_received, std::vector<std::string>{"a"});
  EXPECT_TRUE(r.marks_echoed.empty());
}

TEST(DialCaller, FastModeEchoesMarksAtOnce) {
  FakeHostBehaviour b;
  b.echo_media = false;
  b.greeting_bytes = 80000;
  b.greeting_marks = {"m"};
  b.close_delay_ms = 300;
  FakeTwilioHost host(b);
  CallResult r = run_call(fast_call(host.url(), 16000));
  ASSERT_EQ(r.close_code, 1000) << r.error;
  EXPECT_EQ(r.marks_echoed, std::vector<std::string>{"m"});
}

TEST(DialCaller, RealTimePacingSendsAtTheAudioRate) {
  FakeTwilioHost host;
  CallerOptions o;
  o.url = host.url();
  o.audio = ramp_audio(4000);  // 25 frames = 500 ms
  auto t0 = std::chrono::steady_clock::now();
  CallResult r = run_call(o);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(r.close_code, 1000) << r.error;
  EXPECT_EQ(r.frames_sent, 25u);
  EXPECT_GE(elapsed, std::chrono::milliseconds(480));  // frame 25 is due at 480 ms
  EXPECT_EQ(r.received_audio, o.audio);
}

TEST(DialCaller, HoldWithSilenceKeepsSendingFrames) {
  FakeTwilioHost host;
  CallerOptions o = fast_call(host.url(), 1600);
  o.hold_seconds = 0.2;  // 10 frames of silence
  CallResult r = run_call(o);
  ASSERT_EQ(r.close_code, 1000) << r.error;
  EXPECT_EQ(r.frames_sent, 20u);
  ASSERT_TRUE(host.wait_closed(1));
  auto c = host.calls().at(0);
  ASSERT_EQ(c.audio.size(), 3200u);
  EXPECT_EQ(c.audio.back(), 0xFF);
}

TEST(DialCaller, HoldOpenTimesOutWhenTheHostNeverCloses) {
  FakeTwilioHost host;
  CallerOptions o = fast_call(host.url(), 320);
  o.ending = CallEnding::kHoldOpen;
  o.close_timeout_seconds = 0.3;
  CallResult r = run_call(o);
  EXPECT_TRUE(r.connected);
  EXPECT_TRUE(r.timed_out);
  ASSERT_TRUE(host.wait_closed(1));
  auto c = host.calls().at(0);
  EXPECT_FALSE(c.stop_received);
  EXPECT_EQ(c.close_code, 1000);  // we closed it ourselves
}

TEST(DialCaller, VanishDropsTheSocketWithoutACloseFrame) {
  FakeTwilioHost host;
  CallerOptions o = fast_call(host.url(), 320);
  o.ending = CallEnding::kVanish;
  CallResult r = run_call(o);
  EXPECT_EQ(r.close_code, 1006);
  ASSERT_TRUE(host.wait_closed(1));
  auto c = host.calls().at(0);
  EXPECT_FALSE(c.stop_received);
  EXPECT_NE(c.close_code, 1000);
}

TEST(DialCaller, DtmfAndParametersOnBothTracks) {
  FakeTwilioHost host;
  CallerOptions o;
  o.url = host.url();
  o.audio = ramp_audio(3200);
  o.tracks = {"inbound", "outbound"};
  EXPECT_EQ(test::run_call_pressing(o, "7").close_code, 1000);
  ASSERT_TRUE(host.wait_closed(1));
  auto c = host.calls().at(0);
  EXPECT_EQ(c.dtmf, std::vector<std::string>{"7"});
  EXPECT_EQ(c.start.tracks, (std::vector<std::string>{"inbound", "outbound"}));
}

TEST(DialCaller, UnreachableHostFailsCleanly) {
  CallerOptions o;
  o.url = "ws://127.0.0.1:1/rtm/voice";  // nothing listens on port 1
  o.connect_timeout_seconds = 3;
  CallResult r = run_call(o);
  EXPECT_FALSE(r.connected);
  EXPECT_FALSE(r.error.empty());
}

TEST(DialCaller, BadUrlIsAnError) {
  CallerOptions o;
  o.url = "not a url";
  CallResult r = run_call(o);
  EXPECT_FALSE(r.connected);
  EXPECT_NE(r.error.find("bad URL"), std::string::npos);
}

}  // namespace
}  // namespace mediaflow::dial
