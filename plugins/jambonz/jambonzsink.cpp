/**
 * SECTION:element-jambonzsink
 * @title: jambonzsink
 *
 * The jambonz transport's egress (MediaflowEgressSink, mediaflow/transport/egress_sink.hpp):
 * `audio/x-raw, format=S16LE, channels=1` at the call's rate leaves as binary frames of 20 ms
 * (jambonz's `bidirectionalAudio.streaming`), sent as soon as they are complete; a
 * `mediaflow-mark` event becomes `{"type":"mark","data":{"name":…}}` on a frame boundary (held
 * inside a partial frame until that frame is complete; the last partial frame of a response
 * leaves after `partial-flush-ms` without audio, or at EOS), and `mediaflow-interruption`
 * drops what is not sent and becomes `{"type":"killAudio"}` (jambonz then reports every
 * pending mark as `cleared`), followed by the marks that were held. Without a host, messages are only logged at DEBUG.
 */
#include "jambonzsink.h"

#include <mediaflow/protocol/jambonz_messages.hpp>

namespace jz = mediaflow::protocol::jambonz;
using mediaflow::transport::Outbox;

GST_DEBUG_CATEGORY_STATIC(gst_jambonz_sink_debug);
#define GST_CAT_DEFAULT gst_jambonz_sink_debug

struct _GstJambonzSink {
  MediaflowEgressSink parent;
};

G_DEFINE_TYPE(GstJambonzSink, gst_jambonz_sink, MEDIAFLOW_TYPE_EGRESS_SINK)
GST_ELEMENT_REGISTER_DEFINE(jambonzsink, "jambonzsink", GST_RANK_NONE, GST_TYPE_JAMBONZ_SINK)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-raw, format = (string) S16LE, layout = (string) interleaved, "
                    "rate = (int) { 8000, 16000, 24000, 48000, 64000 }, channels = (int) 1"));

static void gst_jambonz_sink_encode_audio(MediaflowEgressSink*, std::span<const std::uint8_t> frame, Outbox& out) {
  out.add(true, true).assign(reinterpret_cast<const char*>(frame.data()), frame.size());
}

static void gst_jambonz_sink_encode_mark(MediaflowEgressSink* sink, const std::string& name, Outbox& out) {
  std::optional<std::string> mark = jz::encode_mark(name);
  if (!mark) {  // jambonz echoes names unescaped: one it could not echo is not sent at all
    GST_WARNING_OBJECT(sink, "mark name jambonz cannot echo (1-128 printable ASCII, no quote or backslash): dropped");
    return;
  }
  out.add(false, false) = std::move(*mark);
}

static void gst_jambonz_sink_encode_clear(MediaflowEgressSink*, Outbox& out) {
  out.add(false, false) = jz::encode_kill_audio();
}

static void gst_jambonz_sink_deliver_offline(MediaflowEgressSink* sink, const mediaflow::transport::OutboundMessage& m) {
  GST_DEBUG_OBJECT(sink, "no host: %s message of %zu bytes not sent", m.binary ? "binary" : "text", m.bytes.size());
}

static void gst_jambonz_sink_init(GstJambonzSink*) {}

static void gst_jambonz_sink_class_init(GstJambonzSinkClass* klass) {
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* egress_class = MEDIAFLOW_EGRESS_SINK_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(gst_jambonz_sink_debug, "jambonzsink", 0, "jambonz listen sink");
  egress_class->encode_audio = gst_jambonz_sink_encode_audio;
  egress_class->encode_mark = gst_jambonz_sink_encode_mark;
  egress_class->encode_clear = gst_jambonz_sink_encode_clear;
  egress_class->deliver_offline = gst_jambonz_sink_deliver_offline;
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(element_class, "jambonz listen sink", "Sink/Audio/Network",
                                        "Sends PCM audio, marks and killAudio on a jambonz listen WebSocket",
                                        "mediaflow");
}
