#include <mediaflow/transport/ingest_src.hpp>

#include <mediaflow/gstutil/custom_events.hpp>

#include <utility>

GST_DEBUG_CATEGORY_STATIC(mediaflow_ingest_src_debug);
#define GST_CAT_DEFAULT mediaflow_ingest_src_debug

namespace {

using mediaflow::transport::AudioFormat;

constexpr guint64 kMaxFillSeconds = 10 * 60;  // a corrupt timestamp must not allocate hours of silence
constexpr MediaflowTrack kDefaultTrack = MEDIAFLOW_TRACK_INBOUND;

enum { PROP_0, PROP_TRACK };
enum { SIGNAL_PUSH_MEDIA, SIGNAL_PUSH_DTMF, SIGNAL_PUSH_MARK, SIGNAL_END_OF_STREAM, N_SIGNALS };
guint signals[N_SIGNALS];

const char* track_name(MediaflowTrack t) { return t == MEDIAFLOW_TRACK_OUTBOUND ? "outbound" : "inbound"; }

// What exists only while running; guarded by the src pad's stream lock.
struct State {
  bool live = true;
  AudioFormat format;       // of this start
  MediaflowTrack track = kDefaultTrack;
  bool events_sent = false;
  bool eos_sent = false;
  bool discont = true;
  guint64 next_sample = 0;  // sample offset where the next buffer belongs
};

struct Private {
  GstPad* srcpad = nullptr;
  // Settings, under GST_OBJECT_LOCK.
  MediaflowTrack track = kDefaultTrack;
  AudioFormat format;
  State state;
};

}  // namespace

// G_ADD_PRIVATE sizes the instance private area by <Type>Private.
using MediaflowIngestSrcPrivate = Private;

G_DEFINE_TYPE_WITH_CODE(MediaflowIngestSrc, mediaflow_ingest_src, GST_TYPE_ELEMENT,
                        G_ADD_PRIVATE(MediaflowIngestSrc)
                        GST_DEBUG_CATEGORY_INIT(mediaflow_ingest_src_debug, "mediaflowingest", 0,
                                                "mediaflow transport ingest base class"))

GType mediaflow_track_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {MEDIAFLOW_TRACK_INBOUND, "The caller's audio", "inbound"},
      {MEDIAFLOW_TRACK_OUTBOUND, "Audio played to the caller, as the transport reports it", "outbound"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("MediaflowTrack", values));
  return type;
}

namespace {

Private* priv(MediaflowIngestSrc* self) {
  return static_cast<Private*>(mediaflow_ingest_src_get_instance_private(self));
}

// The instance private area is raw memory: construct/destroy the C++ object in it ourselves.
void construct_private(MediaflowIngestSrc* self) { new (priv(self)) Private(); }

void send_stream_events(MediaflowIngestSrc* self) {
  Private* p = priv(self);
  State& st = p->state;
  if (st.events_sent) return;
  st.events_sent = true;
  gchar* stream_id = gst_pad_create_stream_id(p->srcpad, GST_ELEMENT(self), track_name(st.track));
  GstEvent* start = gst_event_new_stream_start(stream_id);
  gst_event_set_group_id(start, gst_util_group_id_next());
  g_free(stream_id);
  gst_pad_push_event(p->srcpad, start);
  GstCaps* caps = gst_caps_from_string(st.format.caps().c_str());
  gst_pad_push_event(p->srcpad, gst_event_new_caps(caps));
  gst_caps_unref(caps);
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_pad_push_event(p->srcpad, gst_event_new_segment(&segment));
}

GstFlowReturn push_samples(MediaflowIngestSrc* self, GstBuffer* buffer, guint64 samples) {
  Private* p = priv(self);
  State& st = p->state;
  const int rate = st.format.rate;
  GST_BUFFER_PTS(buffer) = gst_util_uint64_scale_int(st.next_sample, GST_SECOND, rate);
  GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale_int(st.next_sample + samples, GST_SECOND, rate) - GST_BUFFER_PTS(buffer);
  GST_BUFFER_OFFSET(buffer) = st.next_sample;
  GST_BUFFER_OFFSET_END(buffer) = st.next_sample + samples;
  if (st.discont) {
    GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
    st.discont = false;
  }
  st.next_sample += samples;
  return gst_pad_push(p->srcpad, buffer);
}

GstFlowReturn push_silence(MediaflowIngestSrc* self, guint64 samples) {
  const AudioFormat& f = priv(self)->state.format;
  const guint64 chunk = guint64(f.rate);  // gaps are filled in buffers of at most 1 s
  GstFlowReturn ret = GST_FLOW_OK;
  while (samples > 0 && ret == GST_FLOW_OK) {
    const guint64 n = MIN(samples, chunk);
    const gsize bytes = n * f.bytes_per_frame();
    GstBuffer* silence = gst_buffer_new_allocate(nullptr, bytes, nullptr);
    gst_buffer_memset(silence, 0, f.silence_byte(), bytes);
    ret = push_samples(self, silence, n);
    samples -= n;
  }
  return ret;
}

// Takes `buffer`. Stream lock held.
GstFlowReturn push_audio(MediaflowIngestSrc* self, GstBuffer* buffer, std::optional<guint64> timestamp_ms) {
  State& st = priv(self)->state;
  send_stream_events(self);
  const guint64 frame = guint64(st.format.bytes_per_frame());
  const gsize size = gst_buffer_get_size(buffer);
  if (size < frame) {
    gst_buffer_unref(buffer);
    return GST_FLOW_OK;
  }
  if (size % frame) {  // a torn sample cannot be played: keep whole ones
    buffer = gst_buffer_make_writable(buffer);
    gst_buffer_set_size(buffer, gssize(size - size % frame));
  }
  guint64 samples = gst_buffer_get_size(buffer) / frame;
  if (timestamp_ms) {
    const guint64 per_ms = guint64(st.format.rate) / 1000;
    // Timestamps have 1 ms resolution: closer than that to the expected position is contiguous.
    const guint64 tolerance = per_ms;
    const guint64 start = *timestamp_ms > G_MAXUINT64 / guint64(st.format.rate) ? G_MAXUINT64 / guint64(st.format.rate)
                                                                                  : *timestamp_ms * per_ms;
    if (start > st.next_sample + tolerance) {
      const guint64 gap = start - st.next_sample;
      if (gap > kMaxFillSeconds * guint64(st.format.rate)) {
        GST_WARNING_OBJECT(self, "timestamp jumps %" G_GUINT64_FORMAT " ms ahead: not filled, DISCONT", gap / per_ms);
        st.next_sample = start;
        st.discont = true;
      } else {
        GST_DEBUG_OBJECT(self, "gap of %" G_GUINT64_FORMAT " samples before ts %" G_GUINT64_FORMAT " ms: filling", gap,
                         *timestamp_ms);
        GstFlowReturn ret = push_silence(self, gap);
        if (ret != GST_FLOW_OK) {
          gst_buffer_unref(buffer);
          return ret;
        }
      }
    } else if (start + tolerance < st.next_sample) {
      const guint64 overlap = st.next_sample - start;
      if (overlap >= samples) {
        GST_DEBUG_OBJECT(self, "buffer at ts %" G_GUINT64_FORMAT " ms lies in the past: dropped", *timestamp_ms);
        gst_buffer_unref(buffer);
        return GST_FLOW_OK;
      }
      GST_DEBUG_OBJECT(self, "buffer at ts %" G_GUINT64_FORMAT " ms overlaps by %" G_GUINT64_FORMAT " samples: trimmed",
                       *timestamp_ms, overlap);
      buffer = gst_buffer_make_writable(buffer);
      gst_buffer_resize(buffer, gssize(overlap * frame), -1);
      samples -= overlap;
    }
  }
  buffer = gst_buffer_make_writable(buffer);
  return push_samples(self, buffer, samples);
}

// A mark belongs to the stream, not a track: it carries no `track` field.
void post(MediaflowIngestSrc* self, const char* name, const char* field, const char* value, bool with_track) {
  GST_OBJECT_LOCK(self);
  const MediaflowTrack track = priv(self)->track;
  GST_OBJECT_UNLOCK(self);
  GstStructure* s = gst_structure_new(name, field, G_TYPE_STRING, value, nullptr);
  if (with_track) gst_structure_set(s, "track", G_TYPE_STRING, track_name(track), nullptr);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

void send_eos(MediaflowIngestSrc* self) {
  State& st = priv(self)->state;
  if (st.eos_sent) return;
  send_stream_events(self);
  st.eos_sent = true;
  gst_pad_push_event(priv(self)->srcpad, gst_event_new_eos());
}

bool live_push_allowed(MediaflowIngestSrc* self, const char* what) {
  if (!priv(self)->state.live) {
    GST_WARNING_OBJECT(self, "%s ignored: offline mode", what);
    return false;
  }
  return true;
}

GstFlowReturn action_push_media(MediaflowIngestSrc* self, GstBuffer* buffer, guint64 timestamp_ms) {
  return mediaflow::transport::ingest_push_audio(self, buffer, timestamp_ms);
}
void action_push_dtmf(MediaflowIngestSrc* self, const gchar* digit) { mediaflow::transport::ingest_push_dtmf(self, digit); }
void action_push_mark(MediaflowIngestSrc* self, const gchar* name) { mediaflow::transport::ingest_push_mark(self, name); }
void action_end_of_stream(MediaflowIngestSrc* self) { mediaflow::transport::ingest_end_of_stream(self); }

void replay_loop(gpointer user_data) {
  auto* self = MEDIAFLOW_INGEST_SRC(user_data);
  GstFlowReturn ret = MEDIAFLOW_INGEST_SRC_GET_CLASS(self)->replay_step(self);
  if (ret == GST_FLOW_OK) return;
  GST_DEBUG_OBJECT(self, "pausing task: %s", gst_flow_get_name(ret));
  gst_pad_pause_task(priv(self)->srcpad);
  if (ret == GST_FLOW_EOS) {
    send_eos(self);
  } else if (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS) {
    GST_ELEMENT_FLOW_ERROR(self, ret);
    send_eos(self);
  }
}

gboolean src_activate_mode(GstPad* pad, GstObject* parent, GstPadMode mode, gboolean active) {
  auto* self = MEDIAFLOW_INGEST_SRC(parent);
  if (mode != GST_PAD_MODE_PUSH) return FALSE;
  if (priv(self)->state.live) return TRUE;  // nothing runs: the host pushes
  if (active) return gst_pad_start_task(pad, replay_loop, self, nullptr);
  return gst_pad_stop_task(pad);
}

gboolean src_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  auto* self = MEDIAFLOW_INGEST_SRC(parent);
  if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
    const bool live = priv(self)->state.live;
    gst_query_set_latency(query, live, live ? 20 * GST_MSECOND : 0, GST_CLOCK_TIME_NONE);
    return TRUE;
  }
  return gst_pad_query_default(pad, parent, query);
}

gboolean src_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_SEEK) {  // a stream plays in order only
    gst_event_unref(event);
    return FALSE;
  }
  return gst_pad_event_default(pad, parent, event);
}

void reset_state(MediaflowIngestSrc* self) {
  State& st = priv(self)->state;
  st.events_sent = false;
  st.eos_sent = false;
  st.discont = true;
  st.next_sample = 0;
}

bool prepare(MediaflowIngestSrc* self) {
  Private* p = priv(self);
  GST_OBJECT_LOCK(self);
  p->state.track = p->track;
  p->state.format = p->format;
  GST_OBJECT_UNLOCK(self);
  reset_state(self);
  p->state.live = true;
  auto* klass = MEDIAFLOW_INGEST_SRC_GET_CLASS(self);
  if (!klass->prepare_offline) return true;
  gboolean failed = FALSE;
  p->state.live = !klass->prepare_offline(self, &failed);
  return !failed;
}

using PushMediaFn = GstFlowReturn (*)(gpointer, GstBuffer*, guint64, gpointer);

void marshal_push_media(GClosure* closure, GValue* return_value, guint, const GValue* params, gpointer,
                        gpointer marshal_data) {
  gpointer data1 = g_value_peek_pointer(params), data2 = closure->data;
  if (G_CCLOSURE_SWAP_DATA(closure)) std::swap(data1, data2);
  auto fn = reinterpret_cast<PushMediaFn>(marshal_data ? marshal_data : reinterpret_cast<GCClosure*>(closure)->callback);
  const GstFlowReturn ret = fn(data1, static_cast<GstBuffer*>(g_value_get_boxed(params + 1)),
                               g_value_get_uint64(params + 2), data2);
  if (return_value) g_value_set_enum(return_value, ret);
}

void marshal_push_media_v(GClosure* closure, GValue* return_value, gpointer instance, va_list args,
                          gpointer marshal_data, int, GType* param_types) {
  va_list copy;
  G_VA_COPY(copy, args);
  auto* buffer = va_arg(copy, GstBuffer*);
  const guint64 timestamp_ms = va_arg(copy, guint64);
  va_end(copy);
  const bool own = buffer && !(param_types[0] & G_SIGNAL_TYPE_STATIC_SCOPE);
  if (own) gst_buffer_ref(buffer);
  gpointer data1 = instance, data2 = closure->data;
  if (G_CCLOSURE_SWAP_DATA(closure)) std::swap(data1, data2);
  auto fn = reinterpret_cast<PushMediaFn>(marshal_data ? marshal_data : reinterpret_cast<GCClosure*>(closure)->callback);
  const GstFlowReturn ret = fn(data1, buffer, timestamp_ms, data2);
  if (own) gst_buffer_unref(buffer);
  if (return_value) g_value_set_enum(return_value, ret);
}

}  // namespace

namespace mediaflow::transport {

void ingest_set_format(MediaflowIngestSrc* src, const AudioFormat& format) {
  GST_OBJECT_LOCK(src);
  priv(src)->format = format;
  GST_OBJECT_UNLOCK(src);
}

AudioFormat ingest_format(MediaflowIngestSrc* src) {
  GST_OBJECT_LOCK(src);
  AudioFormat f = priv(src)->format;
  GST_OBJECT_UNLOCK(src);
  return f;
}

MediaflowTrack ingest_track(MediaflowIngestSrc* src) {
  GST_OBJECT_LOCK(src);
  MediaflowTrack t = priv(src)->track;
  GST_OBJECT_UNLOCK(src);
  return t;
}

GstFlowReturn ingest_push_audio(MediaflowIngestSrc* src, GstBuffer* buffer, std::optional<std::uint64_t> timestamp_ms) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), GST_FLOW_ERROR);
  Private* p = priv(src);
  GST_PAD_STREAM_LOCK(p->srcpad);
  GstFlowReturn ret;
  if (!live_push_allowed(src, "push-media")) {
    ret = GST_FLOW_NOT_SUPPORTED;
  } else if (GST_PAD_IS_FLUSHING(p->srcpad)) {
    ret = GST_FLOW_FLUSHING;
  } else if (p->state.eos_sent) {
    ret = GST_FLOW_EOS;
  } else {
    ret = push_audio(src, gst_buffer_ref(buffer), timestamp_ms);
  }
  GST_PAD_STREAM_UNLOCK(p->srcpad);
  return ret;
}

void ingest_push_mark(MediaflowIngestSrc* src, const char* name) {
  if (!name || !live_push_allowed(src, "push-mark")) return;
  ingest_post_mark(src, name);
}

void ingest_push_dtmf(MediaflowIngestSrc* src, const char* digit) {
  if (!digit || !*digit || !live_push_allowed(src, "push-dtmf")) return;
  ingest_post_dtmf(src, digit);
}

void ingest_end_of_stream(MediaflowIngestSrc* src) {
  Private* p = priv(src);
  GST_PAD_STREAM_LOCK(p->srcpad);
  if (live_push_allowed(src, "end-of-stream") && !GST_PAD_IS_FLUSHING(p->srcpad)) send_eos(src);
  GST_PAD_STREAM_UNLOCK(p->srcpad);
}

GstFlowReturn ingest_replay_audio(MediaflowIngestSrc* src, GstBuffer* buffer, std::optional<std::uint64_t> timestamp_ms) {
  return push_audio(src, buffer, timestamp_ms);
}

const char* mark_echo_name(GstMessage* message) {
  if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT || !MEDIAFLOW_IS_INGEST_SRC(GST_MESSAGE_SRC(message))) return nullptr;
  const GstStructure* s = gst_message_get_structure(message);
  auto* klass = MEDIAFLOW_INGEST_SRC_GET_CLASS(GST_MESSAGE_SRC(message));
  if (!s || !gst_structure_has_name(s, klass->mark_message)) return nullptr;
  return gst_structure_get_string(s, "name");
}

void ingest_post_mark(MediaflowIngestSrc* src, const char* name) {
  // In-band, where the echo came in the caller's audio, for the agents downstream (they never
  // read the bus); the message is for the host (transcript.jsonl, call events).
  Private* p = priv(src);
  GST_PAD_STREAM_LOCK(p->srcpad);  // recursive: replay_step() already holds it
  if (!GST_PAD_IS_FLUSHING(p->srcpad) && !p->state.eos_sent) {
    send_stream_events(src);
    gst_pad_push_event(p->srcpad, gstutil::make_mark_echo_event(name));
  }
  GST_PAD_STREAM_UNLOCK(p->srcpad);
  post(src, MEDIAFLOW_INGEST_SRC_GET_CLASS(src)->mark_message, "name", name, false);
}

void ingest_post_dtmf(MediaflowIngestSrc* src, const char* digit) {
  post(src, MEDIAFLOW_INGEST_SRC_GET_CLASS(src)->dtmf_message, "digit", digit, true);
}

}  // namespace mediaflow::transport

static GstStateChangeReturn mediaflow_ingest_src_change_state(GstElement* element, GstStateChange transition) {
  auto* self = MEDIAFLOW_INGEST_SRC(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !prepare(self)) return GST_STATE_CHANGE_FAILURE;

  GstStateChangeReturn ret = GST_ELEMENT_CLASS(mediaflow_ingest_src_parent_class)->change_state(element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) return ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      if (priv(self)->state.live) ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY: {
      reset_state(self);
      auto* klass = MEDIAFLOW_INGEST_SRC_GET_CLASS(self);
      if (!priv(self)->state.live && klass->stop_offline) klass->stop_offline(self);
      break;
    }
    default:
      break;
  }
  return ret;
}

static void mediaflow_ingest_src_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = MEDIAFLOW_INGEST_SRC(object);
  switch (prop_id) {
    case PROP_TRACK:
      GST_OBJECT_LOCK(self);
      priv(self)->track = static_cast<MediaflowTrack>(g_value_get_enum(value));
      GST_OBJECT_UNLOCK(self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void mediaflow_ingest_src_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = MEDIAFLOW_INGEST_SRC(object);
  switch (prop_id) {
    case PROP_TRACK:
      GST_OBJECT_LOCK(self);
      g_value_set_enum(value, priv(self)->track);
      GST_OBJECT_UNLOCK(self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void mediaflow_ingest_src_finalize(GObject* object) {
  priv(MEDIAFLOW_INGEST_SRC(object))->~Private();
  G_OBJECT_CLASS(mediaflow_ingest_src_parent_class)->finalize(object);
}

static void mediaflow_ingest_src_init(MediaflowIngestSrc* self) {
  construct_private(self);
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SOURCE);
}

// The pad is made here, not in _init: during a parent's instance init GObject presents the
// parent's class, and only the subclass's class has the "src" template with its formats.
static void mediaflow_ingest_src_constructed(GObject* object) {
  G_OBJECT_CLASS(mediaflow_ingest_src_parent_class)->constructed(object);
  auto* self = MEDIAFLOW_INGEST_SRC(object);
  GstPadTemplate* templ = gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(self), "src");
  g_return_if_fail(templ != nullptr);
  Private* p = priv(self);
  p->srcpad = gst_pad_new_from_template(templ, "src");
  gst_pad_set_activatemode_function(p->srcpad, src_activate_mode);
  gst_pad_set_query_function(p->srcpad, src_query);
  gst_pad_set_event_function(p->srcpad, src_event);
  gst_pad_use_fixed_caps(p->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), p->srcpad);
}

static void mediaflow_ingest_src_class_init(MediaflowIngestSrcClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = mediaflow_ingest_src_set_property;
  gobject_class->get_property = mediaflow_ingest_src_get_property;
  gobject_class->finalize = mediaflow_ingest_src_finalize;
  gobject_class->constructed = mediaflow_ingest_src_constructed;
  element_class->change_state = mediaflow_ingest_src_change_state;
  klass->mark_message = "mediaflow-mark";
  klass->dtmf_message = "mediaflow-dtmf";

  /**
   * MediaflowIngestSrc:track:
   * Which track of the call this source emits (a stream with both tracks uses two sources).
   */
  g_object_class_install_property(
      gobject_class, PROP_TRACK,
      g_param_spec_enum("track", "Track", "Which track of the call this source emits", MEDIAFLOW_TYPE_TRACK,
                        kDefaultTrack,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));
  /**
   * MediaflowIngestSrc::push-media:
   * @buffer: the track's samples in the call's format (not taken: the caller keeps its reference)
   * @timestamp_ms: where they belong, ms since the stream's start
   * Live mode: pushes downstream on the caller's thread. Returns the flow.
   */
  signals[SIGNAL_PUSH_MEDIA] = g_signal_new_class_handler(
      "push-media", G_TYPE_FROM_CLASS(klass), static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(action_push_media), nullptr, nullptr, marshal_push_media, GST_TYPE_FLOW_RETURN, 2,
      GST_TYPE_BUFFER | G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_UINT64);
  g_signal_set_va_marshaller(signals[SIGNAL_PUSH_MEDIA], G_TYPE_FROM_CLASS(klass), marshal_push_media_v);
  /**
   * MediaflowIngestSrc::push-dtmf:
   * @digit: the key pressed. Live mode: posts the class's DTMF element message.
   */
  signals[SIGNAL_PUSH_DTMF] = g_signal_new_class_handler(
      "push-dtmf", G_TYPE_FROM_CLASS(klass), static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(action_push_dtmf), nullptr, nullptr, nullptr, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * MediaflowIngestSrc::push-mark:
   * @name: a mark the far end has played. Live mode: posts the class's mark element message.
   */
  signals[SIGNAL_PUSH_MARK] = g_signal_new_class_handler(
      "push-mark", G_TYPE_FROM_CLASS(klass), static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(action_push_mark), nullptr, nullptr, nullptr, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * MediaflowIngestSrc::end-of-stream:
   * Live mode: the stream stopped; pushes EOS downstream on the caller's thread.
   */
  signals[SIGNAL_END_OF_STREAM] = g_signal_new_class_handler(
      "end-of-stream", G_TYPE_FROM_CLASS(klass), static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(action_end_of_stream), nullptr, nullptr, nullptr, G_TYPE_NONE, 0);
  gst_type_mark_as_plugin_api(MEDIAFLOW_TYPE_TRACK, static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(MEDIAFLOW_TYPE_INGEST_SRC, static_cast<GstPluginAPIFlags>(0));
}
