/**
 * SECTION:element-twiliosink
 * @title: twiliosink
 *
 * Turns `audio/x-mulaw, rate=8000, channels=1` into the messages a bidirectional Twilio
 * Media Stream expects from us: `media` messages of 20 ms (160 bytes) each — a shorter last
 * one at EOS — carrying `stream-sid`, plus `mark` and `clear`.
 *
 * Every message is emitted as the `outbound-message (const gchar *json)` signal (live mode:
 * the host writes it to the call's WebSocket; it is emitted on the streaming thread, which in
 * live pipelines is the call's loop thread) and, when `location` is set, also appended to that
 * file as one line (offline mode, a JSONL file in the same shape as a capture).
 *
 * Custom events (build them with mediaflow/gstutil/custom_events.hpp):
 * - `mediaflow-interruption` (out-of-band downstream, field `event-id` guint64): the caller
 *   barged in — the partial chunk not yet sent is dropped and `clear` is sent at once.
 * - `mediaflow-mark` (serialized downstream, field `name` string): the audio before it is
 *   sent (including a partial chunk), then a `mark` with that name.
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

#include <mediaflow/gstutil/custom_events.hpp>
#include <mediaflow/protocol/twilio_envelope.hpp>

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace twilio = mediaflow::protocol::twilio;

GST_DEBUG_CATEGORY_STATIC(gst_twilio_sink_debug);
#define GST_CAT_DEFAULT gst_twilio_sink_debug

namespace {

constexpr std::size_t kChunkBytes = 160;  // 20 ms of mu-law at 8 kHz

enum { PROP_0, PROP_STREAM_SID, PROP_LOCATION };
enum { SIGNAL_OUTBOUND_MESSAGE, N_SIGNALS };
guint signals[N_SIGNALS];

GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS("audio/x-mulaw, rate = (int) 8000, channels = (int) 1"));

// Messages built under the lock and emitted after it. Strings are reused (cleared, never
// freed) so a warm render allocates nothing.
struct Outbox {
  std::vector<std::string> messages;
  std::size_t count = 0;
  std::string& add() {
    if (count == messages.size()) messages.emplace_back();
    return messages[count++];
  }
};

struct State {
  // Guards pending: render (streaming thread) races with out-of-band interruptions.
  std::mutex lock;
  std::vector<std::uint8_t> pending;  // less than one chunk, not yet sent
  std::string stream_sid;             // copied from the property at start()
  std::FILE* file = nullptr;
  // For render and serialized events (the streaming thread, under the stream lock).
  Outbox outbox;
};

}  // namespace

struct _GstTwilioSink {
  GstBaseSink parent;
  // Settings, under GST_OBJECT_LOCK.
  gchar* stream_sid;
  gchar* location;
  State* state;
};

#define gst_twilio_sink_parent_class parent_class
G_DEFINE_TYPE(GstTwilioSink, gst_twilio_sink, GST_TYPE_BASE_SINK)
GST_ELEMENT_REGISTER_DEFINE(twiliosink, "twiliosink", GST_RANK_NONE, GST_TYPE_TWILIO_SINK)

namespace {

// Signals are emitted without holding our lock, so handlers may call back into the element.
// Empties the outbox.
void emit(GstTwilioSink* self, Outbox& out) {
  for (std::size_t i = 0; i < out.count; ++i) {
    const std::string& json = out.messages[i];
    g_signal_emit(self, signals[SIGNAL_OUTBOUND_MESSAGE], 0, json.c_str());
    if (std::FILE* f = self->state->file) {
      std::fwrite(json.data(), 1, json.size(), f);
      std::fputc('\n', f);
    }
  }
  out.count = 0;
}

// Moves every complete chunk (and with `all`, the remainder too) into media messages.
void take_chunks(State* st, bool all, Outbox& out) {
  std::size_t pos = 0;
  while (st->pending.size() - pos >= kChunkBytes) {
    twilio::encode_outbound_media_into(out.add(), st->stream_sid, {st->pending.data() + pos, kChunkBytes});
    pos += kChunkBytes;
  }
  if (all && pos < st->pending.size()) {
    twilio::encode_outbound_media_into(out.add(), st->stream_sid,
                                       {st->pending.data() + pos, st->pending.size() - pos});
    pos = st->pending.size();
  }
  st->pending.erase(st->pending.begin(), st->pending.begin() + static_cast<std::ptrdiff_t>(pos));
}

}  // namespace

static GstFlowReturn gst_twilio_sink_render(GstBaseSink* sink, GstBuffer* buffer) {
  auto* self = GST_TWILIO_SINK(sink);
  State* st = self->state;
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not map buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  Outbox& out = st->outbox;
  {
    std::lock_guard guard(st->lock);
    if (st->pending.empty() && map.size >= kChunkBytes && map.size % kChunkBytes == 0) {
      // Whole chunks (the usual 20 ms frame): encode straight from the buffer, no staging copy.
      for (gsize pos = 0; pos < map.size; pos += kChunkBytes)
        twilio::encode_outbound_media_into(out.add(), st->stream_sid, {map.data + pos, kChunkBytes});
    } else {
      st->pending.insert(st->pending.end(), map.data, map.data + map.size);
      take_chunks(st, false, out);
    }
  }
  gst_buffer_unmap(buffer, &map);
  emit(self, out);
  return GST_FLOW_OK;
}

static gboolean gst_twilio_sink_event(GstBaseSink* sink, GstEvent* event) {
  auto* self = GST_TWILIO_SINK(sink);
  State* st = self->state;
  std::string mark;
  if (mediaflow::gstutil::parse_interruption_event(event, nullptr)) {
    Outbox clear;  // out of band: may run beside render, so not the shared outbox
    {
      std::lock_guard guard(st->lock);
      GST_DEBUG_OBJECT(self, "interruption: dropping %zu pending bytes", st->pending.size());
      st->pending.clear();
      clear.add() = twilio::encode_outbound_clear(st->stream_sid);
    }
    emit(self, clear);
    gst_event_unref(event);
    return TRUE;
  }
  Outbox& out = st->outbox;  // serialized events: the streaming thread
  if (mediaflow::gstutil::parse_mark_event(event, &mark)) {
    {
      std::lock_guard guard(st->lock);
      take_chunks(st, true, out);
      out.add() = twilio::encode_outbound_mark(st->stream_sid, mark);
    }
    emit(self, out);
    gst_event_unref(event);
    return TRUE;
  }
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_EOS: {
      {
        std::lock_guard guard(st->lock);
        take_chunks(st, true, out);
      }
      emit(self, out);
      if (st->file) std::fflush(st->file);
      break;
    }
    case GST_EVENT_FLUSH_STOP: {
      std::lock_guard guard(st->lock);
      st->pending.clear();
      break;
    }
    default:
      break;
  }
  return GST_BASE_SINK_CLASS(parent_class)->event(sink, event);
}

static gboolean gst_twilio_sink_start(GstBaseSink* sink) {
  auto* self = GST_TWILIO_SINK(sink);
  State* st = self->state;
  GST_OBJECT_LOCK(self);
  std::string sid = self->stream_sid ? self->stream_sid : "";
  std::string location = self->location ? self->location : "";
  GST_OBJECT_UNLOCK(self);
  {
    std::lock_guard guard(st->lock);
    st->stream_sid = sid;
    st->pending.clear();
  }
  if (sid.empty()) GST_WARNING_OBJECT(self, "stream-sid is not set: messages carry an empty streamSid");
  if (!location.empty()) {
    st->file = std::fopen(location.c_str(), "wb");
    if (!st->file) {
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("Could not open \"%s\" for writing.", location.c_str()),
                        ("%s", g_strerror(errno)));
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean gst_twilio_sink_stop(GstBaseSink* sink) {
  auto* self = GST_TWILIO_SINK(sink);
  State* st = self->state;
  if (st->file) {
    const bool failed = std::fclose(st->file) != 0;
    st->file = nullptr;
    if (failed) {
      GST_ELEMENT_ERROR(self, RESOURCE, CLOSE, ("Could not write the outbound messages file"), ("%s", g_strerror(errno)));
      return FALSE;
    }
  }
  std::lock_guard guard(st->lock);
  st->pending.clear();
  return TRUE;
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
      // The host may learn the streamSid after the pipeline started.
      std::lock_guard guard(self->state->lock);
      self->state->stream_sid = sid;
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
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_STREAM_SID:
      g_value_set_string(value, self->stream_sid);
      break;
    case PROP_LOCATION:
      g_value_set_string(value, self->location);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_twilio_sink_finalize(GObject* object) {
  auto* self = GST_TWILIO_SINK(object);
  if (self->state->file) std::fclose(self->state->file);
  delete self->state;
  g_free(self->stream_sid);
  g_free(self->location);
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_twilio_sink_init(GstTwilioSink* self) {
  self->state = new State();
  self->stream_sid = nullptr;
  self->location = nullptr;
  gst_base_sink_set_sync(GST_BASE_SINK(self), FALSE);
  gst_base_sink_set_async_enabled(GST_BASE_SINK(self), FALSE);
}

static void gst_twilio_sink_class_init(GstTwilioSinkClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseSinkClass* basesink_class = GST_BASE_SINK_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(gst_twilio_sink_debug, "twiliosink", 0, "Twilio Media Streams sink");

  gobject_class->set_property = gst_twilio_sink_set_property;
  gobject_class->get_property = gst_twilio_sink_get_property;
  gobject_class->finalize = gst_twilio_sink_finalize;
  basesink_class->render = gst_twilio_sink_render;
  basesink_class->event = gst_twilio_sink_event;
  basesink_class->start = gst_twilio_sink_start;
  basesink_class->stop = gst_twilio_sink_stop;

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
   * Offline mode: also write every outbound message as one line of this file. Unset
   * (default): messages only go out through the `outbound-message` signal.
   */
  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Output file", "JSONL file receiving every outbound message (offline mode)",
                          nullptr,
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));

  /**
   * GstTwilioSink::outbound-message:
   * @json: one Twilio message (media, mark or clear) to send on the call's WebSocket, in order.
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
