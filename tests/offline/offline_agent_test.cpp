// espeakagent driven the way the host drives it (tests/support/agent_call: inline pushes on a
// loop thread, a real twiliosink): it greets, answers a final transcript that arrives on its
// `transcript` pad with synthesised speech, and on a barge-in drops its queued audio and makes
// twiliosink send `clear`. What is posted on the bus reaches no element.
#include "support/agent_call.hpp"
#include "support/paths.hpp"

#include <mediaflow/pipeline/build.hpp>
#include <mediaflow/pipeline/validate.hpp>
#include <mediaflow/plugin_registry.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace mediaflow::test {
namespace {

constexpr const char* kCallerCaps = "audio/x-raw,format=S16LE,rate=16000,channels=1,layout=interleaved";
constexpr std::size_t kFrame = 640;  // 20 ms of caller audio

class OfflineAgent : public ::testing::Test {
 protected:
  void SetUp() override {
    gst_init(nullptr, nullptr);
    load_plugins(plugin_dir());
  }
  // The agent and the conversion a pipeline puts between it and twiliosink.
  static GstElement* agent(const std::string& props = "") {
    GError* err = nullptr;
    GstElement* bin = gst_parse_bin_from_description(
        ("espeakagent name=agent " + props +
         " ! audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate=8000,channels=1 ! mulawenc")
            .c_str(),
        TRUE, &err);
    EXPECT_EQ(err, nullptr) << (err ? err->message : "");
    return bin;
  }
  // `agent` (taken) followed by the same conversion, as one element.
  static GstElement* with_conversion(GstElement* agent) {
    GError* err = nullptr;
    GstElement* conversion = gst_parse_bin_from_description(
        "audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate=8000,channels=1 ! mulawenc", TRUE, &err);
    EXPECT_EQ(err, nullptr) << (err ? err->message : "");
    GstElement* bin = gst_bin_new(nullptr);
    gst_bin_add_many(GST_BIN(bin), agent, conversion, nullptr);
    EXPECT_TRUE(gst_element_link(agent, conversion));
    GstPad* sink = gst_element_get_static_pad(agent, "sink");
    GstPad* src = gst_element_get_static_pad(conversion, "src");
    gst_element_add_pad(bin, gst_ghost_pad_new("sink", sink));
    gst_element_add_pad(bin, gst_ghost_pad_new("src", src));
    gst_object_unref(sink);
    gst_object_unref(src);
    return bin;
  }
  // What the ASR linked to the agent's transcript pad sends.
  static void post(AgentCall& call, GstStructure* s) { ASSERT_TRUE(call.push_transcript(s)) << "no transcript pad"; }
  // The same result on the bus only: elements must not hear it.
  static void post_on_bus(AgentCall& call, GstStructure* s) {
    call.loop().run_sync([&] {
      gst_element_post_message(call.pipeline(), gst_message_new_element(GST_OBJECT(call.pipeline()), s));
    });
  }
  static GstStructure* final_transcript(const char* text) {
    return gst_structure_new("mediaflow-transcript", "vendor", G_TYPE_STRING, "test", "text", G_TYPE_STRING, text,
                             "is-final", G_TYPE_BOOLEAN, TRUE, "end-of-utterance", G_TYPE_BOOLEAN, TRUE, "start",
                             G_TYPE_DOUBLE, 1.0, "duration", G_TYPE_DOUBLE, 0.4, "confidence", G_TYPE_DOUBLE, 1.0,
                             "channel", G_TYPE_INT, 0, nullptr);
  }
  static void say_final(AgentCall& call, const char* text) { post(call, final_transcript(text)); }
  static std::vector<std::string> texts(AgentCall& call, const char* kind) {
    std::vector<std::string> out;
    for (GstStructure* s : call.agent_events(kind)) {
      out.emplace_back(gst_structure_get_string(s, "text"));
      gst_structure_free(s);
    }
    return out;
  }
  static std::size_t media_frames(const AgentCall& call) {
    auto out = call.outbound();
    return std::size_t(std::count_if(out.begin(), out.end(), [](const auto& m) { return m.event == "media"; }));
  }
  static bool audible(const AgentCall& call) {
    for (const auto& m : call.outbound())
      for (auto b : m.payload)
        if ((b & 0x7F) < 0x50) return true;  // a mu-law sample well away from silence (0xFF/0x7F)
    return false;
  }
  static std::vector<std::string> marks(const AgentCall& call) {
    std::vector<std::string> out;
    for (const auto& m : call.outbound())
      if (m.event == "mark") out.push_back(m.mark);
    return out;
  }
  struct HeardReport {
    guint64 event_id = 0, heard_ms = 0, sent_ms = 0;
    gboolean interrupted = FALSE;
  };
  static std::vector<HeardReport> heard(AgentCall& call) {
    std::vector<HeardReport> out;
    for (GstStructure* s : call.agent_events("heard")) {
      HeardReport h;
      EXPECT_TRUE(gst_structure_get_uint64(s, "event-id", &h.event_id));
      EXPECT_TRUE(gst_structure_get_uint64(s, "heard-ms", &h.heard_ms));
      EXPECT_TRUE(gst_structure_get_uint64(s, "sent-ms", &h.sent_ms));
      EXPECT_TRUE(gst_structure_get_boolean(s, "interrupted", &h.interrupted));
      out.push_back(h);
      gst_structure_free(s);
    }
    return out;
  }
  static std::vector<std::uint8_t> silence(double seconds) {
    return std::vector<std::uint8_t>(std::size_t(seconds * 16000) * 2, 0);
  }
};

TEST_F(OfflineAgent, GreetsThenAnswersAFinalTranscript) {
  AgentCall call(agent("greeting=\"Hello. Please say yes or no.\""), kCallerCaps, 32000);
  call.start();
  ASSERT_TRUE(call.wait([&] { return !texts(call, "agent_response").empty(); })) << "no greeting synthesised";
  EXPECT_EQ(texts(call, "agent_response").front(), "Hello. Please say yes or no.");
  auto started = call.agent_events("conversation_started");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_STREQ(gst_structure_get_string(started[0], "user-input-format"), "pcm_16000");
  gst_structure_free(started[0]);

  // Agent audio is paced by the caller's: 3 s of caller audio lets the whole greeting out.
  call.push_chunks(silence(3.0), kFrame);
  const std::size_t greeting = media_frames(call);
  EXPECT_GT(greeting, 50u) << "more than a second of greeting";
  EXPECT_LT(greeting, 150u) << "never ahead of the caller's 3 s";
  EXPECT_TRUE(audible(call));

  say_final(call, "yes");
  ASSERT_TRUE(call.wait([&] { return texts(call, "agent_response").size() == 2; }));
  EXPECT_EQ(texts(call, "user_transcript"), (std::vector<std::string>{"yes"}));
  EXPECT_EQ(texts(call, "agent_response")[1], "You said yes.");
  call.push_chunks(silence(2.0), kFrame);
  EXPECT_GT(media_frames(call), greeting + 25) << "the answer was sent";
  for (const auto& m : call.outbound()) EXPECT_NE(m.event, "clear");

  call.eos();
  EXPECT_TRUE(call.wait([&] { return call.eos_seen(); }));
  EXPECT_TRUE(call.errors().empty());
  EXPECT_TRUE(call.warnings().empty());
}

// Wiring is the pipeline's: a transcript and a speech-start on the bus (where the ASR also
// posts them, for the host) reach no element; the same transcript on the pad is answered.
TEST_F(OfflineAgent, TranscriptsOnTheBusAreNotHeardOnlyThoseOnThePad) {
  AgentCall call(agent("greeting=\"\""), kCallerCaps, 32000);
  call.start();
  call.push_chunks(silence(0.5), kFrame);
  post_on_bus(call, final_transcript("yes"));
  post_on_bus(call, gst_structure_new("mediaflow-speech-started", "vendor", G_TYPE_STRING, "test", "timestamp",
                                      G_TYPE_DOUBLE, 0.5, nullptr));
  call.push_chunks(silence(0.5), kFrame);
  EXPECT_FALSE(call.wait([&] { return !texts(call, "user_transcript").empty(); }, 500)) << "the agent read the bus";
  say_final(call, "no");
  ASSERT_TRUE(call.wait([&] { return !texts(call, "agent_response").empty(); }));
  EXPECT_EQ(texts(call, "user_transcript"), (std::vector<std::string>{"no"}));
  EXPECT_EQ(texts(call, "agent_response"), (std::vector<std::string>{"You said no."}));
}

TEST_F(OfflineAgent, InterimTranscriptsAreNotAnswered) {
  AgentCall call(agent("greeting=\"\""), kCallerCaps, 32000);
  call.start();
  post(call, gst_structure_new("mediaflow-transcript", "vendor", G_TYPE_STRING, "test", "text", G_TYPE_STRING, "yes",
                               "is-final", G_TYPE_BOOLEAN, FALSE, "end-of-utterance", G_TYPE_BOOLEAN, FALSE, nullptr));
  call.push_chunks(silence(1.0), kFrame);
  g_usleep(200000);
  call.push_chunks(silence(1.0), kFrame);
  EXPECT_EQ(media_frames(call), 0u);
  EXPECT_TRUE(texts(call, "user_transcript").empty());
  EXPECT_TRUE(texts(call, "agent_response").empty());
}

TEST_F(OfflineAgent, BargeInDropsQueuedSpeechAndClearsTwilio) {
  AgentCall call(agent("greeting=\"Hello. This is a long greeting so that there is time to interrupt it.\""),
                 kCallerCaps, 32000);
  call.start();
  ASSERT_TRUE(call.wait([&] { return !texts(call, "agent_response").empty(); }));
  call.push_chunks(silence(0.5), kFrame);  // the agent is mid-greeting
  const std::size_t before = media_frames(call);
  ASSERT_GT(before, 10u);
  post(call, gst_structure_new("mediaflow-speech-started", "vendor", G_TYPE_STRING, "test", "timestamp", G_TYPE_DOUBLE,
                               0.5, nullptr));
  ASSERT_TRUE(call.wait([&] { return !call.agent_events("interruption").empty(); }));
  auto ev = call.agent_events("interruption");
  guint64 id = 0;
  EXPECT_TRUE(gst_structure_get_uint64(ev[0], "event-id", &id));
  EXPECT_EQ(id, 1u) << "the greeting, the agent's first utterance";
  for (auto* s : ev) gst_structure_free(s);

  call.push_chunks(silence(3.0), kFrame);
  auto out = call.outbound();
  auto clear = std::find_if(out.begin(), out.end(), [](const auto& m) { return m.event == "clear"; });
  ASSERT_NE(clear, out.end()) << "twiliosink sent clear";
  // Nothing of the greeting after the clear (at most twiliosink's partial frame before it).
  EXPECT_EQ(std::count_if(clear, out.end(), [](const auto& m) { return m.event == "media"; }), 0);
  EXPECT_LE(media_frames(call), before + 1);
}

// Like elevenlabsagent: marks follow the agent's audio through twiliosink, and Twilio's echoes
// (twilio-mark on the bus, as the host posts them) become `heard` events.
TEST_F(OfflineAgent, MarkEchoesReportHowMuchOfAnUtteranceWasHeard) {
  AgentCall call(agent("greeting=\"Hello. Please say yes or no.\""), kCallerCaps, 32000);
  call.start();
  ASSERT_TRUE(call.wait([&] { return !texts(call, "agent_response").empty(); }));
  call.push_chunks(silence(3.0), kFrame);  // the whole greeting goes out
  const auto out = call.outbound();
  const auto sent = marks(call);
  ASSERT_GE(sent.size(), 3u) << "a mark per 500 ms of a greeting longer than a second, and one at its end";
  for (const auto& name : sent) EXPECT_EQ(name.rfind("espeak-agent-", 0), 0u) << name;
  // The greeting's last mark follows all of its speech (only the silence after it comes later),
  // through mulawenc.
  std::size_t last_mark = 0, last_audible = 0, frames_before_last_mark = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i].event == "mark") last_mark = i;
    if (out[i].event == "media" &&
        std::any_of(out[i].payload.begin(), out[i].payload.end(), [](std::uint8_t b) { return (b & 0x7F) < 0x50; }))
      last_audible = i;
  }
  EXPECT_EQ(out[last_mark].mark, sent.back());
  EXPECT_GT(last_mark, last_audible);
  for (std::size_t i = 0; i < last_mark; ++i) frames_before_last_mark += out[i].event == "media";
  const auto greeting_ms = frames_before_last_mark * 20;
  EXPECT_LT(media_frames(call) - frames_before_last_mark, 3u) << "20 ms of silence after the speech";

  call.echo_mark("utt-unrelated");
  call.echo_mark(sent[0]);
  ASSERT_TRUE(call.wait([&] { return !heard(call).empty(); }));
  auto h = heard(call);
  ASSERT_EQ(h.size(), 1u) << "the unrelated mark is not the agent's";
  EXPECT_EQ(h[0].event_id, 1u) << "the greeting, utterance 1 (as in interruption events)";
  EXPECT_EQ(h[0].heard_ms, 500u);
  EXPECT_NEAR(double(h[0].sent_ms), double(greeting_ms), 40.0);
  EXPECT_FALSE(h[0].interrupted);

  call.echo_mark(sent.back());
  ASSERT_TRUE(call.wait([&] { return heard(call).size() == 2; }));
  h = heard(call);
  EXPECT_EQ(h[1].event_id, 1u);
  EXPECT_EQ(h[1].heard_ms, h[1].sent_ms) << "heard to the end";
  EXPECT_FALSE(h[1].interrupted);
  EXPECT_TRUE(call.errors().empty());
}

TEST_F(OfflineAgent, BargeInReportsTheConfirmedPartAsHeardAndInterrupted) {
  AgentCall call(agent("greeting=\"Hello. This is a long greeting so that there is time to interrupt it.\""),
                 kCallerCaps, 32000);
  call.start();
  ASSERT_TRUE(call.wait([&] { return !texts(call, "agent_response").empty(); }));
  call.push_chunks(silence(1.0), kFrame);  // about a second of the greeting is out
  const auto sent = marks(call);
  ASSERT_GE(sent.size(), 1u);
  call.echo_mark(sent[0]);
  ASSERT_TRUE(call.wait([&] { return heard(call).size() == 1; }));
  post(call, gst_structure_new("mediaflow-speech-started", "vendor", G_TYPE_STRING, "test", "timestamp", G_TYPE_DOUBLE,
                               1.0, nullptr));
  ASSERT_TRUE(call.wait([&] { return heard(call).size() == 2; }));
  auto h = heard(call);
  EXPECT_EQ(h[1].event_id, 1u);
  EXPECT_EQ(h[1].heard_ms, 500u) << "only what an echo confirmed";
  EXPECT_GT(h[1].sent_ms, h[1].heard_ms);
  EXPECT_TRUE(h[1].interrupted);
  // Twilio's clear echoes the marks still pending: they prove nothing.
  for (std::size_t i = 1; i < sent.size(); ++i) call.echo_mark(sent[i]);
  call.push_chunks(silence(0.2), kFrame);
  EXPECT_FALSE(call.wait([&] { return heard(call).size() > 2; }, 300));
}

// A reply template holds braces ({text}); it can be the default of a pipeline-file variable.
TEST_F(OfflineAgent, ReplyTemplateComesFromAPipelineFile) {
  auto loaded = pipeline::load_pipeline(R"({
  "name": "agent",
  "nodes": [
    {"name": "agent", "element": "espeakagent", "properties": {
      "greeting": "",
      "reply-template": "${param.reply:-I heard {text}, thanks.}"
    }}
  ],
  "links": []
})",
                                        "agent.json");
  ASSERT_NE(loaded.spec, nullptr) << pipeline::to_string(loaded.errors);

  auto with_param = pipeline::build_pipeline(*loaded.spec, {{"param.reply", "Got {text}!"}});
  ASSERT_NE(with_param.pipeline, nullptr) << with_param.error;
  GstElement* configured = gst_bin_get_by_name(GST_BIN(with_param.pipeline), "agent");
  gchar* tmpl = nullptr;
  g_object_get(configured, "reply-template", &tmpl, nullptr);
  EXPECT_STREQ(tmpl, "Got {text}!");
  g_free(tmpl);
  gst_object_unref(configured);
  gst_object_unref(with_param.pipeline);

  // The default, braces and all, is what the agent answers with.
  auto built = pipeline::build_pipeline(*loaded.spec, {});
  ASSERT_NE(built.pipeline, nullptr) << built.error;
  GstElement* agent = gst_bin_get_by_name(GST_BIN(built.pipeline), "agent");
  ASSERT_NE(agent, nullptr);
  gst_bin_remove(GST_BIN(built.pipeline), agent);
  gst_object_unref(built.pipeline);
  AgentCall call(with_conversion(agent), kCallerCaps, 32000);
  gst_object_unref(agent);  // the call's pipeline holds it now
  call.start();
  call.push_chunks(silence(0.5), kFrame);
  say_final(call, "yes");
  ASSERT_TRUE(call.wait([&] { return !texts(call, "agent_response").empty(); }));
  EXPECT_EQ(texts(call, "agent_response"), (std::vector<std::string>{"I heard yes, thanks."}));
  call.push_chunks(silence(1.5), kFrame);
  EXPECT_TRUE(audible(call));
  EXPECT_TRUE(call.errors().empty());
}

// An unbalanced default is an unterminated variable, reported at its line:col.
TEST_F(OfflineAgent, UnterminatedReplyTemplateVariableIsReportedWhereItIs) {
  auto loaded = pipeline::load_pipeline(R"({
  "name": "agent",
  "nodes": [
    {"name": "agent", "element": "espeakagent", "properties": {"reply-template": "${param.reply:-I heard {text}."}}
  ],
  "links": []
})",
                                        "agent.json");
  EXPECT_EQ(loaded.spec, nullptr);
  EXPECT_EQ(pipeline::to_string(loaded.errors),
            "agent.json:4:82: property 'reply-template' of node 'agent' (espeakagent): unterminated variable "
            "'${param.reply:-I heard {text}.' (missing '}')\n");
}

}  // namespace
}  // namespace mediaflow::test
