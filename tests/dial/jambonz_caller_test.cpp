// The simulated caller as jambonz (CallProtocol::kJambonz) against a jambonz-side fake host
// (tests/support/fake_fork_host): the upgrade offers audio.jambonz.org, the metadata frame and
// binary PCM are what mod_audio_fork sends, mark events come back byte for byte as it writes
// them (playout, cleared on killAudio, none after clearMarks, at most 30 pending), disconnect
// and the end of the call close 1000.
#include <mediaflow/dial/caller.hpp>
#include <mediaflow/protocol/jambonz_messages.hpp>
#include <mediaflow/protocol/jambonz_metadata.hpp>

#include "support/fake_fork_host.hpp"
#include "support/press_key_call.hpp"

#include <gtest/gtest.h>

namespace mediaflow::dial {
namespace {

namespace jz = protocol::jambonz;
using test::FakeForkHost;
using test::ForkHostScript;

CallerOptions jambonz_call(const std::string& url, unsigned rate, unsigned channels, double seconds) {
  CallerOptions o;
  o.protocol = CallProtocol::kJambonz;
  o.url = url;
  o.call_sid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
  o.sample_rate = rate;
  o.channels = channels;
  o.audio.resize(size_t(seconds * rate) * 2 * channels);
  for (size_t i = 0; i < o.audio.size(); ++i) o.audio[i] = uint8_t(i * 7 + i / 640);
  o.custom_parameters = {{"pipeline", "echo"}, {"organization_id", "acme"}};
  return o;
}

TEST(JambonzCaller, SendsMetadataThenPcmFramesAndHangsUpWith1000) {
  FakeForkHost host;
  const CallerOptions o = jambonz_call(host.url(), 16000, 2, 0.5);
  const CallResult r = run_call(o);
  ASSERT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.close_code, 1000);
  ASSERT_TRUE(host.wait_closed(1));
  const auto c = host.calls().at(0);
  EXPECT_EQ(c.offered_subprotocols, "audio.jambonz.org");
  const auto m = jz::read_call_metadata(c.metadata);
  ASSERT_TRUE(m.ok()) << m.error << ": " << c.metadata;
  EXPECT_EQ(m.metadata.call_sid, o.call_sid);
  EXPECT_EQ(m.metadata.sample_rate, 16000u);
  EXPECT_EQ(m.metadata.mix_type, jz::MixType::kStereo);
  EXPECT_EQ(m.metadata.params.at("pipeline"), "echo");
  EXPECT_EQ(m.metadata.params.at("organization_id"), "acme");
  EXPECT_EQ(c.frame_bytes, std::vector<size_t>(25, 1280)) << "20 ms of 16 kHz stereo PCM per frame";
  EXPECT_EQ(c.audio, o.audio);
  EXPECT_TRUE(c.texts.empty());
  EXPECT_EQ(c.close_code, 1000) << "jambonz ends the listen with a close, not a message";
  // The echo of channel 0 came back and was matched frame by frame.
  EXPECT_EQ(r.received_audio.size(), o.audio.size() / 2);
  EXPECT_EQ(r.frames_matched, 25u);
}

TEST(JambonzCaller, AHostThatDoesNotSelectTheSubprotocolIsDropped) {
  ForkHostScript s;
  s.select_subprotocol = false;
  FakeForkHost host(s);
  const CallResult r = run_call(jambonz_call(host.url(), 8000, 1, 0.2));
  EXPECT_NE(r.error.find("did not select subprotocol audio.jambonz.org"), std::string::npos) << r.error;
  EXPECT_EQ(r.frames_sent, 0u);
}

TEST(JambonzCaller, KillAudioDropsBufferedAudioAndAnswersPendingMarksCleared) {
  ForkHostScript s;
  s.echo_audio = false;
  s.greeting_bytes = 160000;  // 10 s at 8 kHz: cannot have played within this 1 s call
  s.greeting_marks = {"a", "b"};
  s.kill_audio_after_frames = 10;
  FakeForkHost host(s);
  const CallResult r = run_call(jambonz_call(host.url(), 8000, 1, 1.0));
  ASSERT_EQ(r.close_code, 1000) << r.error;
  EXPECT_EQ(r.clears_received, 1u);
  EXPECT_EQ(r.marks_cleared, (std::vector<std::string>{"a", "b"}));
  EXPECT_GT(r.bytes_cleared, 8000u * 2 * 8);
  ASSERT_TRUE(host.wait_closed(1));
  EXPECT_EQ(host.calls().at(0).texts, (std::vector<std::string>{jz::encode_mark_event("a", jz::MarkEvent::kCleared),
                                                                 jz::encode_mark_event("b", jz::MarkEvent::kCleared)}));
}

TEST(JambonzCaller, MarksPlayOutAfterTheirAudio) {
  ForkHostScript s;
  s.echo_audio = false;
  s.greeting_bytes = 9600;  // 600 ms at 8 kHz
  s.greeting_marks = {"after-greeting"};
  FakeForkHost host(s);
  const CallResult r = run_call(jambonz_call(host.url(), 8000, 1, 1.0));
  ASSERT_EQ(r.close_code, 1000) << r.error;
  EXPECT_EQ(r.marks_echoed, std::vector<std::string>{"after-greeting"});
  EXPECT_TRUE(r.marks_cleared.empty());
  ASSERT_TRUE(host.wait_closed(1));
  EXPECT_EQ(host.calls().at(0).texts,
            std::vector<std::string>{jz::encode_mark_event("after-greeting", jz::MarkEvent::kPlayout)});
}

// mod_audio_fork keeps 30 marks; clearMarks forgets them without a word.
TEST(JambonzCaller, ClearMarksForgetsPendingMarksAndMoreThanThirtyAreDropped) {
  ForkHostScript s;
  s.echo_audio = false;
  s.greeting_bytes = 16000;  // 1 s: still playing when clearMarks comes, 100 ms into the call
  for (int i = 0; i < 31; ++i) s.greeting_marks.push_back("m" + std::to_string(i));
  s.clear_marks_after_frames = 5;
  FakeForkHost host(s);
  const CallResult r = run_call(jambonz_call(host.url(), 8000, 1, 0.5));
  ASSERT_EQ(r.close_code, 1000) << r.error;
  EXPECT_EQ(r.marks_received.size(), 31u);
  EXPECT_EQ(r.marks_discarded, 1u);
  EXPECT_TRUE(r.marks_echoed.empty());
  ASSERT_TRUE(host.wait_closed(1));
  EXPECT_TRUE(host.calls().at(0).texts.empty());
}

TEST(JambonzCaller, DisconnectEndsTheCallAndKeysAreSentAsTheFeatureServerDoes) {
  ForkHostScript s;
  s.disconnect_after_frames = 10;
  FakeForkHost host(s);
  const CallResult r = test::run_call_pressing(jambonz_call(host.url(), 8000, 1, 2.0), "5");
  EXPECT_EQ(r.close_code, 1000);
  EXPECT_LT(r.frames_sent, 20u) << "ended at the disconnect, not after 2 s of audio";
  ASSERT_TRUE(host.wait_closed(1));
  const auto c = host.calls().at(0);
  EXPECT_EQ(c.texts, std::vector<std::string>{jz::encode_dtmf_event("5", 1600)});
  EXPECT_EQ(c.close_code, 1000);
}

TEST(JambonzCaller, OptionsOutsideEachProtocolAreRefusedBeforeConnecting) {
  CallerOptions o = jambonz_call("ws://127.0.0.1:1/fork", 32000, 1, 0.1);
  EXPECT_NE(run_call(o).error.find("jambonz sample rates"), std::string::npos);
  o.sample_rate = 8000;
  o.channels = 3;
  EXPECT_NE(run_call(o).error.find("mono or stereo"), std::string::npos);
  o.protocol = CallProtocol::kTwilio;
  o.channels = 1;
  o.sample_rate = 16000;
  EXPECT_NE(run_call(o).error.find("8 kHz mono mu-law"), std::string::npos);
}

}  // namespace
}  // namespace mediaflow::dial
