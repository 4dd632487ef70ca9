// elevenlabsagent against the fake ElevenLabs server, pushed inline from a loop thread the way
// the host does, with a real twiliosink downstream (its outbound messages are what Twilio gets).
#include "elevenlabs/tone.hpp"
#include "support/agent_call.hpp"
#include "support/fake_elevenlabs.hpp"
#include "support/paths.hpp"

#include <mediaflow/plugin_registry.hpp>

#include <gtest/gtest.h>

#include <mutex>

namespace mediaflow::test {
namespace {

constexpr const char* kMulawCaps = "audio/x-mulaw,rate=8000,channels=1";

std::vector<std::uint8_t> caller_mulaw(std::size_t bytes, std::uint8_t seed) {
  std::vector<std::uint8_t> out(bytes);
  for (std::size_t i = 0; i < bytes; ++i) out[i] = static_cast<std::uint8_t>(seed * 31 + i * 7);
  return out;
}

std::vector<std::uint8_t> media_bytes(const std::vector<OutboundMessage>& out, std::size_t from = 0,
                                      std::size_t to = SIZE_MAX) {
  std::vector<std::uint8_t> all;
  for (std::size_t i = from; i < std::min(to, out.size()); ++i)
    if (out[i].event == "media") all.insert(all.end(), out[i].payload.begin(), out[i].payload.end());
  return all;
}

std::size_t index_of(const std::vector<OutboundMessage>& out, const std::string& event) {
  for (std::size_t i = 0; i < out.size(); ++i)
    if (out[i].event == event) return i;
  return SIZE_MAX;
}

class ElevenLabsAgent : public ::testing::Test {
 protected:
  void SetUp() override {
    gst_init(nullptr, nullptr);
    load_plugins(plugin_dir());
    fake_.set_formats("ulaw_8000", "ulaw_8000");
    ASSERT_NE(fake_.start(), 0);
  }

  GstElement* make_agent(const char* extra_key = nullptr, const char* extra_value = nullptr) {
    GstElement* agent = gst_element_factory_make("elevenlabsagent", "agent");
    EXPECT_TRUE(agent);
    g_object_set(agent, "agent-id", "agent_test", "ws-url", fake_.ws_url().c_str(), "api-url",
                 fake_.api_url().c_str(), nullptr);
    if (extra_key) gst_util_set_object_arg(G_OBJECT(agent), extra_key, extra_value);
    return agent;
  }

  bool wait_conversation() {
    return FakeElevenLabs::wait_until(
        [&] {
          auto c = fake_.conversations();
          return !c.empty() && c[0].metadata_sent;
        },
        4000);
  }

  FakeElevenLabs fake_;
};

TEST_F(ElevenLabsAgent, MulawPassesBothWaysUnchangedWithInitiationData) {
  GstElement* agent = make_agent("dynamic-variables", "user_name=Jane;vip=true");
  g_object_set(agent, "first-message", "Hello Jane", nullptr);
  AgentCall call(agent, kMulawCaps, 8000);
  call.start();
  const auto caller = caller_mulaw(8000, 3);  // 1 s in 20 ms frames
  call.push_chunks(caller, 160);
  ASSERT_TRUE(FakeElevenLabs::wait_until([&] {
    auto c = fake_.conversations();
    return !c.empty() && c[0].user_audio.size() >= caller.size();
  }, 4000));
  auto conv = fake_.conversations()[0];
  EXPECT_EQ(conv.user_audio, caller);  // ulaw_8000 in: the caller's bytes, unchanged
  EXPECT_EQ(conv.agent_id, "agent_test");
  EXPECT_EQ(conv.dynamic_variables.at("user_name"), "\"Jane\"");
  EXPECT_EQ(conv.dynamic_variables.at("vip"), "true");
  EXPECT_EQ(conv.first_message, "Hello Jane");

  const auto reply = FakeElevenLabs::agent_audio("ulaw_8000", 500, 9);
  fake_.send_audio(0, reply, 1);
  ASSERT_TRUE(call.wait([&] { return index_of(call.outbound(), "mark") != SIZE_MAX; }));
  const auto out = call.outbound();
  const std::size_t mark = index_of(out, "mark");
  for (std::size_t i = 0; i < mark; ++i) {
    EXPECT_EQ(out[i].event, "media");
    EXPECT_EQ(out[i].payload.size(), 160u);  // 20 ms frames
  }
  EXPECT_EQ(media_bytes(out, 0, mark), reply);  // the agent's bytes, unchanged
  auto started = call.agent_events("conversation_started");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_STREQ(gst_structure_get_string(started[0], "agent-output-format"), "ulaw_8000");
  for (auto* s : started) gst_structure_free(s);
  EXPECT_TRUE(call.errors().empty());
}

TEST_F(ElevenLabsAgent, PingsAreAnsweredWithTheirEventId) {
  AgentCall call(make_agent(), kMulawCaps, 8000);
  call.start();
  call.push(caller_mulaw(160, 1));
  ASSERT_TRUE(wait_conversation());
  fake_.send_ping(0, 4242);
  fake_.send_ping(0, 4243);
  ASSERT_TRUE(FakeElevenLabs::wait_until([&] { return fake_.conversations()[0].pong_ids.size() >= 2; }, 4000));
  EXPECT_EQ(fake_.conversations()[0].pong_ids, (std::vector<std::uint64_t>{4242, 4243}));
}

TEST_F(ElevenLabsAgent, InterruptionClearsAndDropsStaleAudio) {
  AgentCall call(make_agent(), kMulawCaps, 8000);
  call.start();
  call.push(caller_mulaw(160, 1));
  ASSERT_TRUE(wait_conversation());
  fake_.send_audio(0, FakeElevenLabs::agent_audio("ulaw_8000", 400, 1), 1);
  fake_.send_interruption(0, 1);
  fake_.send_audio(0, FakeElevenLabs::agent_audio("ulaw_8000", 200, 2), 1);  // stale: event_id ≤ 1
  const auto fresh = FakeElevenLabs::agent_audio("ulaw_8000", 300, 3);
  fake_.send_audio(0, fresh, 2);
  ASSERT_TRUE(call.wait([&] {
    auto out = call.outbound();
    return index_of(out, "clear") != SIZE_MAX && media_bytes(out, index_of(out, "clear")).size() >= fresh.size();
  }));
  const auto out = call.outbound();
  const std::size_t clear = index_of(out, "clear");
  EXPECT_EQ(media_bytes(out, clear), fresh);  // nothing stale after the clear
  auto interruptions = call.agent_events("interruption");
  ASSERT_EQ(interruptions.size(), 1u);
  guint64 id = 0;
  gst_structure_get_uint64(interruptions[0], "event-id", &id);
  EXPECT_EQ(id, 1u);
  auto heard = call.agent_events("heard");
  ASSERT_FALSE(heard.empty());
  gboolean interrupted = FALSE;
  gst_structure_get_boolean(heard[0], "interrupted", &interrupted);
  EXPECT_TRUE(interrupted);
  for (auto* s : interruptions) gst_structure_free(s);
  for (auto* s : heard) gst_structure_free(s);
}

TEST_F(ElevenLabsAgent, MarkEchoesReportHowMuchWasHeard) {
  AgentCall call(make_agent(), kMulawCaps, 8000);
  call.start();
  call.push(caller_mulaw(160, 1));
  ASSERT_TRUE(wait_conversation());
  fake_.send_audio(0, FakeElevenLabs::agent_audio("ulaw_8000", 400, 1), 7);
  fake_.send_audio(0, FakeElevenLabs::agent_audio("ulaw_8000", 200, 2), 7);
  ASSERT_TRUE(call.wait([&] {
    auto out = call.outbound();
    return std::count_if(out.begin(), out.end(), [](auto& m) { return m.event == "mark"; }) == 2;
  }));
  std::vector<std::string> marks;
  for (const auto& m : call.outbound())
    if (m.event == "mark") marks.push_back(m.mark);
  call.echo_mark("utt-unrelated");
  call.echo_mark(marks[0]);
  ASSERT_TRUE(call.wait([&] {
    auto h = call.agent_events("heard");
    const bool ok = !h.empty();
    for (auto* s : h) gst_structure_free(s);
    return ok;
  }));
  auto heard = call.agent_events("heard");
  ASSERT_EQ(heard.size(), 1u);
  guint64 id = 0, heard_ms = 0, sent_ms = 0;
  gst_structure_get_uint64(heard[0], "event-id", &id);
  gst_structure_get_uint64(heard[0], "heard-ms", &heard_ms);
  gst_structure_get_uint64(heard[0], "sent-ms", &sent_ms);
  EXPECT_EQ(id, 7u);
  EXPECT_EQ(heard_ms, 400u);
  EXPECT_EQ(sent_ms, 600u);
  for (auto* s : heard) gst_structure_free(s);
}

TEST_F(ElevenLabsAgent, AgentTextEventsFollowTheSchema) {
  AgentCall call(make_agent(), kMulawCaps, 8000);
  call.start();
  call.push(caller_mulaw(160, 1));
  ASSERT_TRUE(wait_conversation());
  fake_.send_raw(0, R"({"type":"user_transcript","user_transcription_event":{"user_transcript":"Hi there"}})");
  fake_.send_raw(0, R"({"type":"agent_response","agent_response_event":{"agent_response":"Hello!"}})");
  fake_.send_raw(0, R"({"type":"agent_response_correction","agent_response_correction_event":{"original_agent_response":"Hello! How","corrected_agent_response":"Hello!"}})");
  fake_.send_raw(0, R"({"type":"client_tool_call","client_tool_call":{"tool_name":"lookup","tool_call_id":"t9","parameters":{"id":3}}})");
  fake_.send_raw(0, R"({"type":"something_new","x":1})");
  ASSERT_TRUE(call.wait([&] {
    auto e = call.agent_events("tool_call");
    const bool ok = !e.empty();
    for (auto* s : e) gst_structure_free(s);
    return ok;
  }));
  auto user = call.agent_events("user_transcript");
  auto resp = call.agent_events("agent_response");
  auto corr = call.agent_events("agent_response_correction");
  auto tool = call.agent_events("tool_call");
  ASSERT_EQ(user.size(), 1u);
  ASSERT_EQ(resp.size(), 1u);
  ASSERT_EQ(corr.size(), 1u);
  EXPECT_STREQ(gst_structure_get_string(user[0], "text"), "Hi there");
  EXPECT_STREQ(gst_structure_get_string(user[0], "vendor"), "elevenlabs");
  EXPECT_STREQ(gst_structure_get_string(resp[0], "text"), "Hello!");
  EXPECT_STREQ(gst_structure_get_string(corr[0], "original"), "Hello! How");
  EXPECT_STREQ(gst_structure_get_string(corr[0], "corrected"), "Hello!");
  EXPECT_STREQ(gst_structure_get_string(tool[0], "tool-name"), "lookup");
  EXPECT_STREQ(gst_structure_get_string(tool[0], "tool-call-id"), "t9");
  EXPECT_STREQ(gst_structure_get_string(tool[0], "tool-params"), R"({"id":3})");
  // The agent is told at once that no client tool runs here (it would otherwise wait).
  ASSERT_TRUE(FakeElevenLabs::wait_until([&] { return !fake_.conversations()[0].other_messages.empty(); }, 4000));
  EXPECT_NE(fake_.conversations()[0].other_messages[0].find(R"("tool_call_id":"t9")"), std::string::npos);
  EXPECT_TRUE(call.errors().empty());  // the unknown type was ignored
  for (auto* v : {&user, &resp, &corr, &tool})
    for (auto* s : *v) gst_structure_free(s);
}

TEST_F(ElevenLabsAgent, SignedUrlFlowWithApiKey) {
  fake_.require_signed_url(true);
  AgentCall call(make_agent("api-key", "test-key"), kMulawCaps, 8000);
  call.start();
  call.push(caller_mulaw(160, 1));
  ASSERT_TRUE(wait_conversation());
  EXPECT_EQ(fake_.signed_url_requests(), 1);
  EXPECT_TRUE(fake_.conversations()[0].signed_token);
  EXPECT_TRUE(call.errors().empty());
}

TEST_F(ElevenLabsAgent, RefusedKeyIsOneClearError) {
  fake_.require_signed_url(true);
  AgentCall call(make_agent("api-key", "wrong-key"), kMulawCaps, 8000);
  call.start();
  call.push(caller_mulaw(160, 1));
  ASSERT_TRUE(call.wait([&] { return !call.errors().empty(); }));
  call.push(caller_mulaw(160, 2));
  g_usleep(50000);
  const auto errors = call.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("refused the API key (HTTP 401"), std::string::npos) << errors[0];
  EXPECT_EQ(errors[0].find("wrong-key"), std::string::npos);  // never the secret
  EXPECT_EQ(fake_.handshakes(), 0);
}

TEST_F(ElevenLabsAgent, ContinueModeWarnsGoesSilentAndStillEnds) {
  fake_.refuse_handshake(403);
  AgentCall call(make_agent("on-failure", "continue"), kMulawCaps, 8000);
  call.start();
  call.push(caller_mulaw(160, 1));
  ASSERT_TRUE(call.wait([&] { return !call.warnings().empty(); }));
  EXPECT_NE(call.warnings()[0].find("HTTP 403"), std::string::npos) << call.warnings()[0];
  call.push(caller_mulaw(1600, 2));
  call.eos();
  ASSERT_TRUE(call.wait([&] { return call.eos_seen(); }));  // EOS still reaches the pipeline
  EXPECT_TRUE(call.errors().empty());
  EXPECT_EQ(index_of(call.outbound(), "media"), SIZE_MAX);
}

TEST_F(ElevenLabsAgent, StallDropAndGarbageAreFailures) {
  struct Case {
    const char* name;
    std::function<void(FakeElevenLabs&)> arm;
    const char* expect;
  };
  const Case cases[] = {
      {"stall", [](FakeElevenLabs& f) { f.stall(true); }, "sent nothing for 300 ms"},
      {"drop", [](FakeElevenLabs& f) { f.drop_after_bytes(320); }, "closed the conversation (code 1011"},
      {"garbage", [](FakeElevenLabs& f) { f.send_garbage(true); }, "unreadable message"},
  };
  for (const auto& c : cases) {
    FakeElevenLabs fake;
    c.arm(fake);
    ASSERT_NE(fake.start(), 0);
    GstElement* agent = gst_element_factory_make("elevenlabsagent", nullptr);
    g_object_set(agent, "agent-id", "agent_test", "ws-url", fake.ws_url().c_str(), "stall-timeout", 300u, nullptr);
    AgentCall call(agent, kMulawCaps, 8000);
    call.start();
    call.push_chunks(caller_mulaw(480, 1), 160);
    ASSERT_TRUE(call.wait([&] { return !call.errors().empty(); })) << c.name;
    EXPECT_NE(call.errors()[0].find(c.expect), std::string::npos) << c.name << ": " << call.errors()[0];
  }
}

// The caller's audio is whatever the pipeline links (Twilio mu-law, jambonz PCM): the element
// converts it to the agent's input format (it used to refuse a mismatch with a 1011).
struct InputCase {
  const char* caller;  // vendor-style name of the sink caps
  const char* agent;   // the agent's user_input_audio_format
};
class ElevenLabsAgentInput : public ElevenLabsAgent, public ::testing::WithParamInterface<InputCase> {};

TEST_P(ElevenLabsAgentInput, CallerAudioReachesTheAgentInItsInputFormat) {
  const auto [caller_name, agent_name] = GetParam();
  fake_.set_formats(agent_name, "ulaw_8000");
  const ToneFormat caller = tone_format(caller_name), agent = tone_format(agent_name);
  const std::string caps = caller.mulaw ? std::string(kMulawCaps)
                                        : "audio/x-raw,format=S16LE,rate=" + std::to_string(caller.rate) +
                                              ",channels=1,layout=interleaved";
  AgentCall call(make_agent(), caps, std::size_t(caller.rate) * caller.bytes_per_sample());
  call.start();
  const auto tone = encode_tone(caller, 440, 1000);
  call.push_chunks(tone, std::size_t(caller.rate) * caller.bytes_per_sample() / 50);
  const std::size_t expected = std::size_t(agent.rate) * agent.bytes_per_sample();
  ASSERT_TRUE(FakeElevenLabs::wait_until([&] {
    auto c = fake_.conversations();
    return !c.empty() && c[0].user_audio.size() >= expected * 97 / 100;
  }, 4000));
  g_usleep(50000);
  const auto a = analyse_tone(decode_audio(agent, fake_.conversations()[0].user_audio), agent.rate);
  EXPECT_NEAR(a.ms, 1000, 15);
  EXPECT_NEAR(a.hz, 440, 440 * 0.03);
  EXPECT_GT(a.rms, 3000);
  ASSERT_TRUE(call.wait([&] {
    auto e = call.agent_events("conversation_started");
    const bool ok = !e.empty();
    for (auto* s : e) gst_structure_free(s);
    return ok;
  }));
  auto started = call.agent_events("conversation_started");
  EXPECT_STREQ(gst_structure_get_string(started[0], "sink-format"), caller_name);
  EXPECT_STREQ(gst_structure_get_string(started[0], "user-input-format"), agent_name);
  gboolean converted = FALSE;
  gst_structure_get_boolean(started[0], "input-converted", &converted);
  EXPECT_TRUE(converted);
  for (auto* s : started) gst_structure_free(s);
  EXPECT_TRUE(call.errors().empty());
}

INSTANTIATE_TEST_SUITE_P(Formats, ElevenLabsAgentInput,
                         ::testing::Values(InputCase{"ulaw_8000", "pcm_16000"}, InputCase{"pcm_16000", "ulaw_8000"},
                                           InputCase{"pcm_8000", "pcm_24000"}, InputCase{"pcm_44100", "pcm_16000"}),
                         [](const auto& info) { return std::string(info.param.caller) + "_to_" + info.param.agent; });

TEST_F(ElevenLabsAgent, PcmInputIsSentAsIs) {
  fake_.set_formats("pcm_16000", "ulaw_8000");
  AgentCall call(make_agent(), "audio/x-raw,format=S16LE,rate=16000,channels=1,layout=interleaved", 32000);
  call.start();
  std::vector<std::uint8_t> pcm(6400);
  for (std::size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<std::uint8_t>(i * 5);
  call.push_chunks(pcm, 640);
  ASSERT_TRUE(FakeElevenLabs::wait_until([&] {
    auto c = fake_.conversations();
    return !c.empty() && c[0].user_audio.size() >= pcm.size();
  }, 4000));
  EXPECT_EQ(fake_.conversations()[0].user_audio, pcm);
  EXPECT_TRUE(call.errors().empty());
}

TEST_F(ElevenLabsAgent, AgentAudioIsTimedFromTheCallsRunningTime) {
  AgentCall call(make_agent(), kMulawCaps, 8000);
  std::mutex m;
  std::vector<GstClockTime> pts;
  GstElement* sink = gst_bin_get_by_name(GST_BIN(call.pipeline()), "sink");
  GstPad* pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, [](GstPad*, GstPadProbeInfo* info, gpointer d) {
    auto* v = static_cast<std::pair<std::mutex*, std::vector<GstClockTime>*>*>(d);
    std::lock_guard lock(*v->first);
    v->second->push_back(GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info)));
    return GST_PAD_PROBE_OK;
  }, new std::pair<std::mutex*, std::vector<GstClockTime>*>(&m, &pts), [](gpointer d) {
    delete static_cast<std::pair<std::mutex*, std::vector<GstClockTime>*>*>(d);
  });
  gst_object_unref(pad);
  gst_object_unref(sink);
  call.start();
  call.push_chunks(caller_mulaw(8000, 1), 160);  // the call is 1 s old
  ASSERT_TRUE(wait_conversation());
  fake_.send_audio(0, FakeElevenLabs::agent_audio("ulaw_8000", 200, 1), 1);
  fake_.send_audio(0, FakeElevenLabs::agent_audio("ulaw_8000", 200, 2), 1);
  ASSERT_TRUE(call.wait([&] {
    std::lock_guard lock(m);
    return pts.size() >= 2;
  }));
  std::lock_guard lock(m);
  EXPECT_EQ(pts[0], GST_SECOND);                       // starts at the call's "now"
  EXPECT_EQ(pts[1], GST_SECOND + 200 * GST_MSECOND);  // continues without overlap
}

}  // namespace
}  // namespace mediaflow::test
