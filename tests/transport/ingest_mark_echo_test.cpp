// A transport's mark echo in-band: the ingest (twiliosrc, live, pushed inline as the host
// does) sends `mediaflow-mark-echo` down its src pad at the point of the caller's audio where
// the echo came, and still posts `twilio-mark` for the host. Through a real pipeline: tee and
// the converters the builder puts in front of agents (mulawdec, audioconvert, audioresample,
// mulawenc) carry the event to every branch, after the audio that came before it.
#include <mediaflow/gstutil/custom_events.hpp>

#include "twilio/twilio_test_util.hpp"

#include <string>
#include <vector>

namespace {

using mediaflow::test::twilio_util::init_gst_with_plugins;

// What reached one branch's end, in order: audio (as its running end, ns) and mark echoes.
struct Seen {
  struct Echo {
    std::string name;
    GstClockTime audio_before;  // duration of the audio that reached the branch before it
  };
  GstClockTime audio = 0;
  std::vector<Echo> echoes;
};

GstPadProbeReturn on_data(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* seen = static_cast<Seen*>(data);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer* b = GST_PAD_PROBE_INFO_BUFFER(info);
    if (GST_BUFFER_DURATION_IS_VALID(b)) seen->audio += GST_BUFFER_DURATION(b);
  } else if (std::string name; mediaflow::gstutil::parse_mark_echo_event(GST_PAD_PROBE_INFO_EVENT(info), &name)) {
    seen->echoes.push_back({name, seen->audio});
  }
  return GST_PAD_PROBE_OK;
}

TEST(IngestMarkEcho, EchoGoesDownEveryBranchThroughConvertersAfterItsAudioAndToTheBus) {
  init_gst_with_plugins();
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(
      "twiliosrc name=src ! tee name=t "
      "t. ! fakesink name=direct sync=false async=false "
      "t. ! mulawdec ! audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate=16000,channels=1 ! "
      "  fakesink name=decoded sync=false async=false "
      "t. ! mulawdec ! audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate=8000,channels=1 ! mulawenc ! "
      "  fakesink name=encoded sync=false async=false",
      &err);
  ASSERT_NE(pipeline, nullptr) << err->message;
  const char* branches[] = {"direct", "decoded", "encoded"};
  Seen seen[3];
  for (int i = 0; i < 3; ++i) {
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), branches[i]);
    GstPad* pad = gst_element_get_static_pad(sink, "sink");
    gst_pad_add_probe(pad, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM), on_data,
                      &seen[i], nullptr);
    gst_object_unref(pad);
    gst_object_unref(sink);
  }
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);

  auto push_frames = [&](int n, guint64 first_ms) {
    for (int i = 0; i < n; ++i) {
      GstBuffer* b = gst_buffer_new_allocate(nullptr, 160, nullptr);  // 20 ms of 8 kHz mu-law
      gst_buffer_memset(b, 0, 0xFF, 160);
      GstFlowReturn ret = GST_FLOW_ERROR;
      g_signal_emit_by_name(src, "push-media", b, first_ms + guint64(i) * 20, &ret);
      gst_buffer_unref(b);
      ASSERT_EQ(ret, GST_FLOW_OK);
    }
  };
  push_frames(5, 0);
  g_signal_emit_by_name(src, "push-mark", "m1");
  push_frames(5, 100);
  g_signal_emit_by_name(src, "push-mark", "m2");
  g_signal_emit_by_name(src, "end-of-stream");

  GstBus* bus = gst_element_get_bus(pipeline);
  std::vector<std::string> posted;
  while (GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) {
    const GstStructure* s = gst_message_get_structure(m);
    if (gst_structure_has_name(s, "twilio-mark")) posted.emplace_back(gst_structure_get_string(s, "name"));
    gst_message_unref(m);
  }
  EXPECT_EQ(posted, (std::vector<std::string>{"m1", "m2"})) << "the host still gets the echoes on the bus";

  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(branches[i]);
    ASSERT_EQ(seen[i].echoes.size(), 2u);
    EXPECT_EQ(seen[i].echoes[0].name, "m1");
    EXPECT_EQ(seen[i].echoes[1].name, "m2");
    // After the audio pushed before it (a resampler keeps a few samples back: 10 ms slack).
    EXPECT_NEAR(double(seen[i].echoes[0].audio_before), double(100 * GST_MSECOND), double(10 * GST_MSECOND));
    EXPECT_NEAR(double(seen[i].echoes[1].audio_before), double(200 * GST_MSECOND), double(10 * GST_MSECOND));
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(src);
  gst_object_unref(pipeline);
}

}  // namespace
