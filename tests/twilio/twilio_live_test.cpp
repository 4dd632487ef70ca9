// Live mode: the test thread plays the host — pushes through twiliosrc's action signals
// (no pipeline thread) and reads twiliosink's outbound messages.
#include <mediaflow/gstutil/custom_events.hpp>

#include "twilio/twilio_test_util.hpp"

#include <json-glib/json-glib.h>

using namespace mediaflow::test::twilio_util;
namespace tw = mediaflow::protocol::twilio;

namespace {

struct Outbound {
  std::vector<std::string> messages;
  bool all_on_caller_thread = true;
  GThread* caller = g_thread_self();
};

void on_outbound(GstElement*, const gchar* json, gpointer data) {
  auto* o = static_cast<Outbound*>(data);
  o->messages.emplace_back(json);
  if (g_thread_self() != o->caller) o->all_on_caller_thread = false;
}

struct Parsed {
  std::string event;
  std::string stream_sid;
  std::vector<std::uint8_t> payload;
  std::string mark;
};

// Parses what twiliosink sent with json-glib (independent of our simdjson parser).
Parsed parse_outbound(const std::string& json) {
  Parsed p;
  JsonParser* parser = json_parser_new();
  EXPECT_TRUE(json_parser_load_from_data(parser, json.c_str(), -1, nullptr)) << json;
  JsonObject* o = json_node_get_object(json_parser_get_root(parser));
  p.event = json_object_get_string_member(o, "event");
  p.stream_sid = json_object_get_string_member(o, "streamSid");
  if (p.event == "media") {
    gsize n = 0;
    guchar* bytes = g_base64_decode(json_object_get_string_member(json_object_get_object_member(o, "media"), "payload"), &n);
    p.payload.assign(bytes, bytes + n);
    g_free(bytes);
  } else if (p.event == "mark") {
    p.mark = json_object_get_string_member(json_object_get_object_member(o, "mark"), "name");
  }
  g_object_unref(parser);
  return p;
}

class TwilioLive : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { init_gst_with_plugins(); }

  void SetUp() override {
    GError* err = nullptr;
    pipeline = gst_parse_launch("twiliosrc name=src ! twiliosink name=sink stream-sid=MZecho", &err);
    ASSERT_NE(pipeline, nullptr) << err->message;
    src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
    sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    g_signal_connect(sink, "outbound-message", G_CALLBACK(on_outbound), &out);
    // The test thread plays the host but iterates no loop, so the sink's quiet-time flush of a
    // partial chunk would come from its private thread at a time set by the machine's load:
    // here a partial chunk leaves only at EOS (or at a mark with partial-flush-ms=0).
    g_object_set(sink, "partial-flush-ms", 60000u, nullptr);
    // A live source: no preroll, and no thread that would need waiting for.
    ASSERT_EQ(gst_element_set_state(pipeline, GST_STATE_PAUSED), GST_STATE_CHANGE_NO_PREROLL);
    ASSERT_EQ(gst_element_set_state(pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
  }
  void TearDown() override {
    if (!pipeline) return;
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(src);
    gst_object_unref(sink);
    gst_object_unref(pipeline);
  }

  GstFlowReturn push(const std::vector<std::uint8_t>& bytes, guint64 timestamp_ms) {
    GstBuffer* buffer = gst_buffer_new_memdup(bytes.data(), bytes.size());
    GstFlowReturn ret = GST_FLOW_ERROR;
    g_signal_emit_by_name(src, "push-media", buffer, timestamp_ms, &ret);
    gst_buffer_unref(buffer);
    return ret;
  }
  void push_event(GstEvent* event) {
    GstPad* pad = gst_element_get_static_pad(src, "src");
    EXPECT_TRUE(gst_pad_push_event(pad, event));
    gst_object_unref(pad);
  }
  std::vector<Parsed> parsed() {
    std::vector<Parsed> v;
    for (const auto& m : out.messages) v.push_back(parse_outbound(m));
    return v;
  }

  GstElement* pipeline = nullptr;
  GstElement* src = nullptr;
  GstElement* sink = nullptr;
  Outbound out;
};

std::vector<std::uint8_t> ramp(std::size_t n, std::uint8_t start) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(start + i);
  return v;
}

}  // namespace

TEST_F(TwilioLive, EchoReturnsThePayloadBytesExactlyIn160ByteMediaMessages) {
  std::vector<std::uint8_t> sent;
  guint64 ts = 0;
  for (std::size_t n : {80u, 240u, 160u, 80u, 320u}) {  // 10, 30, 20, 10, 40 ms
    auto bytes = ramp(n, static_cast<std::uint8_t>(sent.size()));
    ASSERT_EQ(push(bytes, ts), GST_FLOW_OK);
    sent.insert(sent.end(), bytes.begin(), bytes.end());
    ts += n / 8;
  }
  auto tail = ramp(100, 7);  // not a whole chunk: flushed at EOS
  ASSERT_EQ(push(tail, ts), GST_FLOW_OK);
  sent.insert(sent.end(), tail.begin(), tail.end());
  g_signal_emit_by_name(src, "end-of-stream");

  // Everything was delivered synchronously, on this thread.
  EXPECT_TRUE(out.all_on_caller_thread);
  const auto msgs = parsed();
  ASSERT_EQ(msgs.size(), 7u);  // 980 bytes = 6 × 160 + 20
  std::vector<std::uint8_t> echoed;
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(msgs[i].event, "media");
    EXPECT_EQ(msgs[i].stream_sid, "MZecho");
    EXPECT_EQ(msgs[i].payload.size(), i + 1 < msgs.size() ? 160u : 20u);
    echoed.insert(echoed.end(), msgs[i].payload.begin(), msgs[i].payload.end());
  }
  ASSERT_EQ(sent.size(), 980u);
  EXPECT_EQ(echoed, sent);

  // After EOS the source refuses more audio instead of pushing past the end.
  EXPECT_EQ(push(ramp(160, 0), ts + 100), GST_FLOW_EOS);
}

TEST_F(TwilioLive, InterruptionDropsThePartialChunkAndSendsClear) {
  ASSERT_EQ(push(ramp(200, 0), 0), GST_FLOW_OK);  // one chunk out, 40 bytes held
  push_event(mediaflow::gstutil::make_interruption_event(42));
  ASSERT_EQ(push(ramp(100, 50), 25), GST_FLOW_OK);
  g_signal_emit_by_name(src, "end-of-stream");
  const auto msgs = parsed();
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0].event, "media");
  EXPECT_EQ(msgs[0].payload, ramp(160, 0));
  EXPECT_EQ(msgs[1].event, "clear");
  EXPECT_EQ(msgs[1].stream_sid, "MZecho");
  EXPECT_EQ(msgs[2].event, "media");
  EXPECT_EQ(msgs[2].payload, ramp(100, 50));  // the 40 held bytes were dropped
}

// A mark inside a partial chunk waits for the audio that completes that chunk and follows it:
// the chunks stay 160 bytes (issue #17 item 3); the caller hears it < 20 ms late.
TEST_F(TwilioLive, MarkIsSentAfterTheChunkHoldingIt) {
  ASSERT_EQ(push(ramp(200, 0), 0), GST_FLOW_OK);
  push_event(mediaflow::gstutil::make_mark_event("utt-7"));
  ASSERT_EQ(push(ramp(160, 9), 25), GST_FLOW_OK);
  g_signal_emit_by_name(src, "end-of-stream");
  const auto msgs = parsed();
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[0].payload, ramp(160, 0));
  auto second = ramp(40, 160);
  const auto next = ramp(160, 9);
  second.insert(second.end(), next.begin(), next.begin() + 120);
  EXPECT_EQ(msgs[1].event, "media");
  EXPECT_EQ(msgs[1].payload, second);  // the held 40 bytes completed by the next audio
  EXPECT_EQ(msgs[2].event, "mark");
  EXPECT_EQ(msgs[2].mark, "utt-7");
  EXPECT_EQ(msgs[3].payload, std::vector<std::uint8_t>(next.begin() + 120, next.end()));  // at EOS
}

// partial-flush-ms=0: the previous behaviour, the partial chunk goes out before the mark.
TEST_F(TwilioLive, MarkIsSentAfterThePrecedingAudioWithPartialFlushZero) {
  g_object_set(sink, "partial-flush-ms", 0u, nullptr);
  ASSERT_EQ(push(ramp(200, 0), 0), GST_FLOW_OK);
  push_event(mediaflow::gstutil::make_mark_event("utt-7"));
  ASSERT_EQ(push(ramp(160, 9), 25), GST_FLOW_OK);
  const auto msgs = parsed();
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[0].payload, ramp(160, 0));
  EXPECT_EQ(msgs[1].event, "media");
  EXPECT_EQ(msgs[1].payload, ramp(40, 160));  // the partial chunk goes out before the mark
  EXPECT_EQ(msgs[2].event, "mark");
  EXPECT_EQ(msgs[2].mark, "utt-7");
  EXPECT_EQ(msgs[3].payload, ramp(160, 9));
}

TEST_F(TwilioLive, GapsBetweenPushesAreFilledWithSilence) {
  ASSERT_EQ(push(ramp(160, 0), 0), GST_FLOW_OK);
  ASSERT_EQ(push(ramp(160, 1), 60), GST_FLOW_OK);  // 40 ms lost in between
  g_signal_emit_by_name(src, "end-of-stream");
  std::vector<std::uint8_t> echoed;
  for (const auto& m : parsed()) echoed.insert(echoed.end(), m.payload.begin(), m.payload.end());
  std::vector<std::uint8_t> expected = ramp(160, 0);
  expected.insert(expected.end(), 320, 0xFF);
  const auto second = ramp(160, 1);
  expected.insert(expected.end(), second.begin(), second.end());
  EXPECT_EQ(echoed, expected);
}

TEST_F(TwilioLive, DtmfAndMarkSignalsPostBusMessages) {
  g_signal_emit_by_name(src, "push-dtmf", "7");
  g_signal_emit_by_name(src, "push-mark", "utt-3");
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* dtmf = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT);
  GstMessage* mark = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT);
  ASSERT_NE(dtmf, nullptr);
  ASSERT_NE(mark, nullptr);
  const GstStructure* d = gst_message_get_structure(dtmf);
  EXPECT_TRUE(gst_structure_has_name(d, "twilio-dtmf"));
  EXPECT_STREQ(gst_structure_get_string(d, "digit"), "7");
  EXPECT_STREQ(gst_structure_get_string(d, "track"), "inbound");
  const GstStructure* m = gst_message_get_structure(mark);
  EXPECT_TRUE(gst_structure_has_name(m, "twilio-mark"));
  EXPECT_STREQ(gst_structure_get_string(m, "name"), "utt-3");
  gst_message_unref(dtmf);
  gst_message_unref(mark);
  gst_object_unref(bus);
}

TEST_F(TwilioLive, StreamSidMayBeSetAfterThePipelineStarted) {
  g_object_set(sink, "stream-sid", "MZlater", nullptr);
  ASSERT_EQ(push(ramp(160, 0), 0), GST_FLOW_OK);
  const auto msgs = parsed();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].stream_sid, "MZlater");
}

TEST(TwilioLiveState, PushBeforePlayingIsRefusedNotCrashing) {
  init_gst_with_plugins();
  GstElement* src = gst_element_factory_make("twiliosrc", nullptr);
  ASSERT_NE(src, nullptr);
  GstBuffer* buffer = gst_buffer_new_allocate(nullptr, 160, nullptr);
  GstFlowReturn ret = GST_FLOW_OK;
  g_signal_emit_by_name(src, "push-media", buffer, guint64{0}, &ret);
  EXPECT_EQ(ret, GST_FLOW_FLUSHING);
  gst_buffer_unref(buffer);
  gst_object_unref(src);
}
