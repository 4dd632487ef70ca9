/**
 * SECTION:element-twiliosink
 * @title: twiliosink
 *
 * Turns `audio/x-mulaw, rate=8000, channels=1` into the messages a bidirectional Twilio
 * Media Stream expects from us: `media` messages of 20 ms (160 bytes) each, sent as soon as
 * they are complete (Twilio buffers; no real-time pacing) — a shorter last one of a response
 * after `partial-flush-ms` without audio, or at EOS — carrying `stream-sid`, plus `mark` and
 * `clear`.
 *
 * A transport egress (MediaflowEgressSink, mediaflow/transport/egress_sink.hpp): in the host
 * every message goes straight to the call's WebSocket. Without a host (gst-launch, `mediaflow
 * run`, tests) each is emitted as the `outbound-message (const gchar *json)` signal on the
 * streaming thread and, when `location` is set, appended to that file as one line (a JSONL
 * file in the same shape as a capture).
 *
 * Custom events (build them with mediaflow/gstutil/custom_events.hpp):
 * - `mediaflow-interruption` (out-of-band downstream, field `event-id` guint64): the caller
 *   barged in — the partial chunk not yet sent is dropped and `clear` is sent at once,
 *   followed by the marks that were waiting in that chunk (Twilio echoes them at once).
 * - `mediaflow-mark` (serialized downstream, field `name` string): a `mark` with that name on
 *   a frame boundary — at once when no partial chunk is pending, else right after the frame
 *   the audio following it completes (or the flush after `partial-flush-ms` / at EOS).
 *   `partial-flush-ms=0`: the partial chunk is sent before the mark instead.
 *
 * Defaults `sync=false` and `async=false`: in live pipelines the push runs on the call's loop
 * thread, which must never wait for the clock or for preroll.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=prompt.wav ! wavparse ! audioconvert ! audioresample ! \
 *     mulawenc ! twiliosink stream-sid=MZ123 location=outbound.jsonl
 * ]|
 */
#include "twiliosink.h"

#include <mediaflow/protocol/twilio_envelope.hpp>

#include <cstdio>
#include <mutex>
#include <string>

namespace twilio = mediaflow::protocol::twilio;
using mediaflow::transport::OutboundMessage;
using mediaflow::transport::Outbox;

GST_DEBUG_CATEGORY_STATIC(gst_twilio_sink_debug);
#define GST_CAT_DEFAULT gst_twilio_sink_debug

namespace {

enum { PROP_0, PROP_STREAM_SID, PROP_LOCATION };
enum { SIGNAL_OUTBOUND_MESSAGE, N_SIGNALS };
guint signals[N_SIGNALS];

GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS("audio/x-mulaw, rate = (int) 8000, channels = (int) 1"));

}  // namespace

struct _GstTwilioSink {
  MediaflowEgressSink parent;
  // Settings, under GST_OBJECT_LOCK.
  gchar* stream_sid;
  gchar* location;
  // The streamSid messages carry: set at start, and again whenever the property changes (the
  // host may learn it after the pipeline started).
  struct RunningSid {
    std::mutex lock;
    std::string value;
  }* sid;
  std::FILE* file;
};

#define gst_twilio_sink_parent_class parent_class
G_DEFINE_TYPE(GstTwilioSink, gst_twilio_sink, MEDIAFLOW_TYPE_EGRESS_SINK)
GST_ELEMENT_REGISTER_DEFINE(twiliosink, "twiliosink", GST_RANK_NONE, GST_TYPE_TWILIO_SINK)

static void gst_twilio_sink_encode_audio(MediaflowEgressSink* sink, std::span<const std::uint8_t> frame, Outbox& out) {
  auto* sid = GST_TWILIO_SINK(sink)->sid;
  std::lock_guard guard(sid->lock);
  twilio::encode_outbound_media_into(out.add(false, true), sid->value, frame);
}

static void gst_twilio_sink_encode_mark(MediaflowEgressSink* sink, const std::string& name, Outbox& out) {
  auto* sid = GST_TWILIO_SINK(sink)->sid;
  std::lock_guard guard(sid->lock);
  out.add(false, false) = twilio::encode_outbound_mark(sid->value, name);
}

static void gst_twilio_sink_encode_clear(MediaflowEgressSink* sink, Outbox& out) {
  auto* sid = GST_TWILIO_SINK(sink)->sid;
  std::lock_guard guard(sid->lock);
  out.add(false, false) = twilio::encode_outbound_clear(sid->value);
}

static void gst_twilio_sink_set_call(MediaflowEgressSink* sink, const mediaflow::transport::CallStart& call) {
  g_object_set(sink, "stream-sid", call.stream_sid.c_str(), nullptr);
}

static void gst_twilio_sink_deliver_offline(MediaflowEgressSink* sink, const OutboundMessage& message) {
  auto* self = GST_TWILIO_SINK(sink);
  const std::string json(message.bytes);  // the signal's argument is a C string
  g_signal_emit(self, signals[SIGNAL_OUTBOUND_MESSAGE], 0, json.c_str());
  if (self->file) {
    std::fwrite(json.data(), 1, json.size(), self->file);
    std::fputc('\n', self->file);
  }
}

static gboolean gst_twilio_sink_start(GstBaseSink* sink) {
  auto* self = GST_TWILIO_SINK(sink);
  GST_OBJECT_LOCK(self);
  std::string sid = self->stream_sid ? self->stream_sid : "";
  std::string location = self->location ? self->location : "";
  GST_OBJECT_UNLOCK(self);
  {
    std::lock_guard guard(self->sid->lock);
    self->sid->value = sid;
  }
  if (sid.empty()) GST_WARNING_OBJECT(self, "stream-sid is not set: messages carry an empty streamSid");
  if (!location.empty()) {
    self->file = std::fopen(location.c_str(), "wb");
    if (!self->file) {
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("Could not open \"%s\" for writing.", location.c_str()),
                        ("%s", g_strerror(errno)));
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean gst_twilio_sink_stop(GstBaseSink* sink) {
  auto* self = GST_TWILIO_SINK(sink);
  if (self->file) {
    const bool failed = std::fclose(self->file) != 0;
    self->file = nullptr;
    if (failed) {
      GST_ELEMENT_ERROR(self, RESOURCE, CLOSE, ("Could not write the outbound messages file"), ("%s", g_strerror(errno)));
      return FALSE;
    }
  }
  return GST_BASE_SINK_CLASS(parent_class)->stop(sink);
}

static gboolean gst_twilio_sink_event(GstBaseSink* sink, GstEvent* event) {
  auto* self = GST_TWILIO_SINK(sink);
  const bool eos = GST_EVENT_TYPE(event) == GST_EVENT_EOS;
  const gboolean ret = GST_BASE_SINK_CLASS(parent_class)->event(sink, event);
  if (eos && self->file) std::fflush(self->file);
  return ret;
}

static void gst_twilio_sink_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_TWILIO_SINK(object);
  switch (prop_id) {
    case PROP_STREAM_SID: {
      GST_OBJECT_LOCK(self);
      g_free(self->stream_sid);
      self->stream_sid = g_value_dup_string(value);
      const std::string sid = self->stream_sid ? self->stream_sid : "";
      GST_OBJECT_UNLOCK(self);
      std::lock_guard guard(self->sid->lock);
      self->sid->value = sid;
      break;
    }
    case PROP_LOCATION:
      GST_OBJECT_LOCK(self);
      g_free(self->location);
      self->location = g_value_dup_string(value);
      GST_OBJECT_UNLOCK(self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void gst_twilio_sink_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_TWILIO_SINK(object);
  switch (prop_id) {
    case PROP_STREAM_SID:
      GST_OBJECT_LOCK(self);
      g_value_set_string(value, self->stream_sid);
      GST_OBJECT_UNLOCK(self);
      break;
    case PROP_LOCATION:
      GST_OBJECT_LOCK(self);
      g_value_set_string(value, self->location);
      GST_OBJECT_UNLOCK(self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void gst_twilio_sink_finalize(GObject* object) {
  auto* self = GST_TWILIO_SINK(object);
  if (self->file) std::fclose(self->file);
  delete self->sid;
  g_free(self->stream_sid);
  g_free(self->location);
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_twilio_sink_init(GstTwilioSink* self) {
  self->stream_sid = nullptr;
  self->location = nullptr;
  self->sid = new _GstTwilioSink::RunningSid();
  self->file = nullptr;
}

static void gst_twilio_sink_class_init(GstTwilioSinkClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseSinkClass* basesink_class = GST_BASE_SINK_CLASS(klass);
  auto* egress_class = MEDIAFLOW_EGRESS_SINK_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(gst_twilio_sink_debug, "twiliosink", 0, "Twilio Media Streams sink");

  gobject_class->set_property = gst_twilio_sink_set_property;
  gobject_class->get_property = gst_twilio_sink_get_property;
  gobject_class->finalize = gst_twilio_sink_finalize;
  basesink_class->start = gst_twilio_sink_start;
  basesink_class->stop = gst_twilio_sink_stop;
  basesink_class->event = gst_twilio_sink_event;
  egress_class->encode_audio = gst_twilio_sink_encode_audio;
  egress_class->encode_mark = gst_twilio_sink_encode_mark;
  egress_class->encode_clear = gst_twilio_sink_encode_clear;
  egress_class->set_call = gst_twilio_sink_set_call;
  egress_class->deliver_offline = gst_twilio_sink_deliver_offline;
  /**
   * GstTwilioSink:stream-sid:
   * The `streamSid` every outbound message carries (the host sets it from `start`). May be
   * changed while playing.
   */
  g_object_class_install_property(
      gobject_class, PROP_STREAM_SID,
      g_param_spec_string("stream-sid", "Stream SID", "streamSid put into every outbound message", nullptr,
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)));
  /**
   * GstTwilioSink:location:
   * Without a host: also write every outbound message as one line of this file. Unset
   * (default): messages only go out through the `outbound-message` signal.
   */
  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Output file", "JSONL file receiving every outbound message (offline mode)",
                          nullptr,
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));

  /**
   * GstTwilioSink::outbound-message:
   * @json: one Twilio message (media, mark or clear), in order; emitted only without a host
   * (in the host, messages go straight to the call's WebSocket).
   * Valid only during the emission (static scope: not copied per frame); copy it to keep it.
   */
  signals[SIGNAL_OUTBOUND_MESSAGE] =
      g_signal_new("outbound-message", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                   G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(element_class, "Twilio Media Streams sink", "Sink/Audio/Network",
                                        "Sends mu-law audio, marks and clears as Twilio Media Streams messages",
                                        "mediaflow");
}
