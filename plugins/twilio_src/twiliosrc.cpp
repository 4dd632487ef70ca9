/**
 * SECTION:element-twiliosrc
 * @title: twiliosrc
 *
 * Produces the audio of one track of a Twilio Media Stream as `audio/x-mulaw, rate=8000,
 * channels=1`.
 *
 * Two modes, chosen when going to PAUSED:
 * - **offline** (`location` set): replays a capture file — one Twilio JSON message per line,
 *   exactly as Twilio sends them (`wav2capture` writes such files) — on its own streaming
 *   task, then EOS (at the `stop` message or the end of the file). Malformed lines are
 *   skipped with a GST_ELEMENT_WARNING naming the line number.
 * - **live** (`location` unset): a live source (NO_PREROLL) without any thread. The host
 *   pushes from its loop thread through action signals, each pushing inline:
 *   `push-media (GstBuffer *mulaw, guint64 timestamp_ms) → GstFlowReturn` (the buffer is not
 *   taken over: the caller keeps its reference), `push-dtmf (gchar *digit)`,
 *   `push-mark (gchar *name)`, `end-of-stream ()`.
 *
 * Timing: PTS comes from `media.timestamp` (ms since stream start), OFFSET counts samples.
 * Output time stays true: audio before the first timestamp and every gap (a timestamp beyond
 * the end of the previous buffer, e.g. lost messages) is filled with mu-law silence (0xFF),
 * so sample N of the output is always at N/8000 s of the stream. A deviation of up to 1 ms
 * (the timestamp resolution) is treated as contiguous. A buffer that starts earlier than the
 * end of the previous one (overlap, reordering, duplicate) has its overlapping start dropped,
 * and is dropped whole when entirely in the past, so time never runs backwards. A gap longer
 * than 10 minutes is not filled (a corrupt timestamp must not allocate hours of silence): the
 * next buffer is marked DISCONT at its true PTS instead.
 *
 * Element messages posted:
 * - `twilio-dtmf`: `digit` (string), `track` (string, "inbound"/"outbound") — offline: the
 *   capture's dtmf messages whose track matches `track`; live: each `push-dtmf`.
 * - `twilio-mark`: `name` (string): Twilio echoed a mark we sent (the audio before it has
 *   played, or was cleared) — offline: posted by the `inbound` source only; live: each
 *   `push-mark`.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 twiliosrc location=call.jsonl ! mulawdec ! audioresample ! \
 *     audio/x-raw,rate=16000 ! wavenc ! filesink location=call.wav
 * ]|
 */
#include "twiliosrc.h"

#include <mediaflow/protocol/redact.hpp>
#include <mediaflow/protocol/twilio_envelope.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace twilio = mediaflow::protocol::twilio;

GST_DEBUG_CATEGORY_STATIC(gst_twilio_src_debug);
#define GST_CAT_DEFAULT gst_twilio_src_debug

namespace {

constexpr guint64 kRate = 8000;
constexpr guint64 kSamplesPerMs = kRate / 1000;
constexpr guint8 kMulawSilence = 0xFF;
// Timestamps have 1 ms resolution: closer than that to the expected position is contiguous.
constexpr guint64 kContiguousToleranceSamples = kSamplesPerMs;
constexpr guint64 kMaxFillSamples = 10 * 60 * kRate;
constexpr guint64 kSilenceChunkSamples = kRate;  // fill gaps in buffers of at most 1 s
constexpr GstTwilioTrack kDefaultTrack = GST_TWILIO_TRACK_INBOUND;

enum { PROP_0, PROP_LOCATION, PROP_TRACK };
enum { SIGNAL_PUSH_MEDIA, SIGNAL_PUSH_DTMF, SIGNAL_PUSH_MARK, SIGNAL_END_OF_STREAM, N_SIGNALS };
guint signals[N_SIGNALS];

const char* track_name(GstTwilioTrack t) { return t == GST_TWILIO_TRACK_OUTBOUND ? "outbound" : "inbound"; }

// "inbound_track" (dtmf), "inbound" (media) → "inbound"; empty means inbound.
std::string_view normalize_track(std::string_view t) {
  constexpr std::string_view kSuffix = "_track";
  if (t.size() > kSuffix.size() && t.substr(t.size() - kSuffix.size()) == kSuffix) t.remove_suffix(kSuffix.size());
  return t.empty() ? std::string_view("inbound") : t;
}

GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS("audio/x-mulaw, rate = (int) 8000, channels = (int) 1"));

// What exists only while running; guarded by the src pad's stream lock.
struct State {
  bool live = true;
  GstTwilioTrack track = kDefaultTrack;
  bool events_sent = false;
  bool eos_sent = false;
  bool discont = true;
  guint64 next_sample = 0;  // sample offset where the next buffer belongs
  // offline
  std::FILE* file = nullptr;
  char* line = nullptr;
  size_t line_capacity = 0;
  guint64 line_no = 0;
  std::optional<guint64> last_sequence;
  twilio::TwilioEnvelopeParser parser;
};

}  // namespace

struct _GstTwilioSrc {
  GstElement parent;
  GstPad* srcpad;
  // Settings, under GST_OBJECT_LOCK.
  gchar* location;
  GstTwilioTrack track;
  State* state;
};

GType gst_twilio_track_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_TWILIO_TRACK_INBOUND, "Caller audio (Twilio track 'inbound')", "inbound"},
      {GST_TWILIO_TRACK_OUTBOUND, "Audio played to the caller (Twilio track 'outbound')", "outbound"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstTwilioTrack", values));
  return type;
}

#define gst_twilio_src_parent_class parent_class
G_DEFINE_TYPE(GstTwilioSrc, gst_twilio_src, GST_TYPE_ELEMENT)
GST_ELEMENT_REGISTER_DEFINE(twiliosrc, "twiliosrc", GST_RANK_NONE, GST_TYPE_TWILIO_SRC)

namespace {

void send_stream_events(GstTwilioSrc* self) {
  State* st = self->state;
  if (st->events_sent) return;
  st->events_sent = true;
  gchar* stream_id = gst_pad_create_stream_id(self->srcpad, GST_ELEMENT(self), track_name(st->track));
  GstEvent* start = gst_event_new_stream_start(stream_id);
  gst_event_set_group_id(start, gst_util_group_id_next());
  g_free(stream_id);
  gst_pad_push_event(self->srcpad, start);
  GstCaps* caps = gst_pad_get_pad_template_caps(self->srcpad);
  gst_pad_push_event(self->srcpad, gst_event_new_caps(caps));
  gst_caps_unref(caps);
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_pad_push_event(self->srcpad, gst_event_new_segment(&segment));
}

GstFlowReturn push_samples(GstTwilioSrc* self, GstBuffer* buffer) {
  State* st = self->state;
  const guint64 n = gst_buffer_get_size(buffer);
  GST_BUFFER_PTS(buffer) = gst_util_uint64_scale_int(st->next_sample, GST_SECOND, kRate);
  GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale_int(st->next_sample + n, GST_SECOND, kRate) - GST_BUFFER_PTS(buffer);
  GST_BUFFER_OFFSET(buffer) = st->next_sample;
  GST_BUFFER_OFFSET_END(buffer) = st->next_sample + n;
  if (st->discont) {
    GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
    st->discont = false;
  }
  st->next_sample += n;
  return gst_pad_push(self->srcpad, buffer);
}

GstFlowReturn push_silence(GstTwilioSrc* self, guint64 samples) {
  GstFlowReturn ret = GST_FLOW_OK;
  while (samples > 0 && ret == GST_FLOW_OK) {
    const guint64 n = MIN(samples, kSilenceChunkSamples);
    GstBuffer* silence = gst_buffer_new_allocate(nullptr, n, nullptr);
    gst_buffer_memset(silence, 0, kMulawSilence, n);
    ret = push_samples(self, silence);
    samples -= n;
  }
  return ret;
}

// Places one payload (owned) on the timeline: fills the gap before it, trims what overlaps.
// Called with the stream lock held.
GstFlowReturn push_media(GstTwilioSrc* self, GstBuffer* buffer, guint64 timestamp_ms) {
  State* st = self->state;
  send_stream_events(self);
  const gsize size = gst_buffer_get_size(buffer);
  if (size == 0) {
    gst_buffer_unref(buffer);
    return GST_FLOW_OK;
  }
  const guint64 start = timestamp_ms > G_MAXUINT64 / kRate ? G_MAXUINT64 / kRate : timestamp_ms * kSamplesPerMs;
  if (start > st->next_sample + kContiguousToleranceSamples) {
    const guint64 gap = start - st->next_sample;
    if (gap > kMaxFillSamples) {
      GST_WARNING_OBJECT(self, "timestamp jumps %" G_GUINT64_FORMAT " ms ahead: not filled, DISCONT", gap / kSamplesPerMs);
      st->next_sample = start;
      st->discont = true;
    } else {
      GST_DEBUG_OBJECT(self, "gap of %" G_GUINT64_FORMAT " samples before ts %" G_GUINT64_FORMAT " ms: filling",
                       gap, timestamp_ms);
      GstFlowReturn ret = push_silence(self, gap);
      if (ret != GST_FLOW_OK) {
        gst_buffer_unref(buffer);
        return ret;
      }
    }
  } else if (start + kContiguousToleranceSamples < st->next_sample) {
    const guint64 overlap = st->next_sample - start;
    if (overlap >= size) {
      GST_DEBUG_OBJECT(self, "buffer at ts %" G_GUINT64_FORMAT " ms lies in the past: dropped", timestamp_ms);
      gst_buffer_unref(buffer);
      return GST_FLOW_OK;
    }
    GST_DEBUG_OBJECT(self, "buffer at ts %" G_GUINT64_FORMAT " ms overlaps by %" G_GUINT64_FORMAT " samples: trimmed",
                     timestamp_ms, overlap);
    buffer = gst_buffer_make_writable(buffer);
    gst_buffer_resize(buffer, static_cast<gssize>(overlap), -1);
  }
  buffer = gst_buffer_make_writable(buffer);
  return push_samples(self, buffer);
}

void post_dtmf(GstTwilioSrc* self, const char* digit, const char* track) {
  GstStructure* s = gst_structure_new("twilio-dtmf", "digit", G_TYPE_STRING, digit, "track", G_TYPE_STRING, track, nullptr);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

void post_mark(GstTwilioSrc* self, const char* name) {
  GstStructure* s = gst_structure_new("twilio-mark", "name", G_TYPE_STRING, name, nullptr);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

void send_eos(GstTwilioSrc* self) {
  State* st = self->state;
  if (st->eos_sent) return;
  send_stream_events(self);
  st->eos_sent = true;
  gst_pad_push_event(self->srcpad, gst_event_new_eos());
}

// --- live mode: action signal handlers, run on the caller's thread -----------------------

bool live_push_allowed(GstTwilioSrc* self, const char* what) {
  if (!self->state->live) {
    GST_WARNING_OBJECT(self, "%s ignored: offline mode (location is set)", what);
    return false;
  }
  return true;
}

GstFlowReturn action_push_media(GstTwilioSrc* self, GstBuffer* buffer, guint64 timestamp_ms) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), GST_FLOW_ERROR);
  GST_PAD_STREAM_LOCK(self->srcpad);
  GstFlowReturn ret;
  if (!live_push_allowed(self, "push-media")) {
    ret = GST_FLOW_NOT_SUPPORTED;
  } else if (GST_PAD_IS_FLUSHING(self->srcpad)) {
    ret = GST_FLOW_FLUSHING;
  } else if (self->state->eos_sent) {
    ret = GST_FLOW_EOS;
  } else {
    ret = push_media(self, gst_buffer_ref(buffer), timestamp_ms);
  }
  GST_PAD_STREAM_UNLOCK(self->srcpad);
  return ret;
}

void action_push_dtmf(GstTwilioSrc* self, const gchar* digit) {
  if (!digit || !*digit || !live_push_allowed(self, "push-dtmf")) return;
  GST_OBJECT_LOCK(self);
  const GstTwilioTrack track = self->track;
  GST_OBJECT_UNLOCK(self);
  post_dtmf(self, digit, track_name(track));
}

void action_push_mark(GstTwilioSrc* self, const gchar* name) {
  if (!name || !live_push_allowed(self, "push-mark")) return;
  post_mark(self, name);
}

void action_end_of_stream(GstTwilioSrc* self) {
  GST_PAD_STREAM_LOCK(self->srcpad);
  if (live_push_allowed(self, "end-of-stream") && !GST_PAD_IS_FLUSHING(self->srcpad)) send_eos(self);
  GST_PAD_STREAM_UNLOCK(self->srcpad);
}

// --- offline mode: the streaming task --------------------------------------------------

GstFlowReturn replay_line(GstTwilioSrc* self, std::string_view line) {
  State* st = self->state;
  const twilio::InboundMessage msg = st->parser.parse(line);
  if (msg.sequence_number) {
    if (st->last_sequence && *msg.sequence_number != *st->last_sequence + 1)
      GST_DEBUG_OBJECT(self, "line %" G_GUINT64_FORMAT ": sequence gap %" G_GUINT64_FORMAT " → %" G_GUINT64_FORMAT,
                       st->line_no, *st->last_sequence, *msg.sequence_number);
    st->last_sequence = msg.sequence_number;
  }
  switch (msg.kind) {
    case twilio::EventKind::kMalformed:
      GST_ELEMENT_WARNING(self, STREAM, DECODE, ("Malformed Twilio message skipped"),
                          ("line %" G_GUINT64_FORMAT ": %s", st->line_no, msg.error));
      return GST_FLOW_OK;
    case twilio::EventKind::kMedia: {
      if (normalize_track(msg.media.track) != track_name(st->track)) return GST_FLOW_OK;
      const std::string_view b64 = msg.media.payload_base64;
      GstBuffer* buffer = gst_buffer_new_allocate(nullptr, twilio::base64_decoded_max(b64.size()), nullptr);
      GstMapInfo map;
      gst_buffer_map(buffer, &map, GST_MAP_WRITE);
      const auto n = twilio::decode_base64(b64, {map.data, map.size});
      gst_buffer_unmap(buffer, &map);
      if (!n) {
        gst_buffer_unref(buffer);
        GST_ELEMENT_WARNING(self, STREAM, DECODE, ("Malformed Twilio message skipped"),
                            ("line %" G_GUINT64_FORMAT ": media.payload is not valid base64", st->line_no));
        return GST_FLOW_OK;
      }
      gst_buffer_set_size(buffer, static_cast<gssize>(*n));
      return push_media(self, buffer, msg.media.timestamp_ms);
    }
    case twilio::EventKind::kDtmf: {
      const std::string_view track = normalize_track(msg.dtmf.track);
      if (track == track_name(st->track)) post_dtmf(self, std::string(msg.dtmf.digit).c_str(), track_name(st->track));
      return GST_FLOW_OK;
    }
    case twilio::EventKind::kMark:
      if (st->track == GST_TWILIO_TRACK_INBOUND) post_mark(self, std::string(msg.mark).c_str());
      return GST_FLOW_OK;
    case twilio::EventKind::kStart:
      GST_INFO_OBJECT(self, "stream start, call %s, tracks %zu", mediaflow::protocol::redact_sid(msg.start.call_sid).c_str(),
                      msg.start.tracks.size());
      return GST_FLOW_OK;
    case twilio::EventKind::kStop:
      return GST_FLOW_EOS;
    case twilio::EventKind::kConnected:
    case twilio::EventKind::kUnknown:
      GST_DEBUG_OBJECT(self, "line %" G_GUINT64_FORMAT ": '%s' ignored", st->line_no, twilio::event_kind_name(msg.kind));
      return GST_FLOW_OK;
  }
  return GST_FLOW_OK;
}

void replay_loop(gpointer user_data) {
  auto* self = GST_TWILIO_SRC(user_data);
  State* st = self->state;
  GstFlowReturn ret = GST_FLOW_OK;
  const ssize_t len = getline(&st->line, &st->line_capacity, st->file);
  if (len < 0) {
    if (std::ferror(st->file)) {
      GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not read the capture file"), ("%s", g_strerror(errno)));
      ret = GST_FLOW_ERROR;
    } else {
      ret = GST_FLOW_EOS;
    }
  } else {
    ++st->line_no;
    std::string_view line(st->line, static_cast<size_t>(len));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (!line.empty()) ret = replay_line(self, line);
  }
  if (ret == GST_FLOW_OK) return;

  GST_DEBUG_OBJECT(self, "pausing task: %s", gst_flow_get_name(ret));
  gst_pad_pause_task(self->srcpad);
  if (ret == GST_FLOW_EOS) {
    send_eos(self);
  } else if (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS) {
    GST_ELEMENT_FLOW_ERROR(self, ret);
    send_eos(self);
  }
}

gboolean src_activate_mode(GstPad* pad, GstObject* parent, GstPadMode mode, gboolean active) {
  auto* self = GST_TWILIO_SRC(parent);
  if (mode != GST_PAD_MODE_PUSH) return FALSE;
  if (self->state->live) return TRUE;  // nothing runs: the host pushes
  if (active) return gst_pad_start_task(pad, replay_loop, self, nullptr);
  return gst_pad_stop_task(pad);
}

gboolean src_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  auto* self = GST_TWILIO_SRC(parent);
  if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
    // Live: Twilio delivers 20 ms frames, so audio is at least one frame old.
    const bool live = self->state->live;
    gst_query_set_latency(query, live, live ? 20 * GST_MSECOND : 0, GST_CLOCK_TIME_NONE);
    return TRUE;
  }
  return gst_pad_query_default(pad, parent, query);
}

gboolean src_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_SEEK) {  // a stream replays in order only
    gst_event_unref(event);
    return FALSE;
  }
  return gst_pad_event_default(pad, parent, event);
}

void reset_state(GstTwilioSrc* self) {
  State* st = self->state;
  if (st->file) std::fclose(st->file);
  st->file = nullptr;
  st->events_sent = false;
  st->eos_sent = false;
  st->discont = true;
  st->next_sample = 0;
  st->line_no = 0;
  st->last_sequence.reset();
}

bool prepare(GstTwilioSrc* self) {
  State* st = self->state;
  GST_OBJECT_LOCK(self);
  std::string location = self->location ? self->location : "";
  st->track = self->track;
  GST_OBJECT_UNLOCK(self);
  reset_state(self);
  st->live = location.empty();
  if (st->live) return true;
  st->file = std::fopen(location.c_str(), "rb");
  if (!st->file) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("Could not open capture file \"%s\" for reading.", location.c_str()),
                      ("%s", g_strerror(errno)));
    return false;
  }
  return true;
}

// push-media runs once per 20 ms frame per call: a C marshaller, and its va_list twin that
// lets g_signal_emit() call the class handler without boxing arguments into GValues, instead
// of the generic libffi marshaller (~2.5k instructions per frame, docs/benchmarks.md).
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

static GstStateChangeReturn gst_twilio_src_change_state(GstElement* element, GstStateChange transition) {
  auto* self = GST_TWILIO_SRC(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !prepare(self)) return GST_STATE_CHANGE_FAILURE;

  GstStateChangeReturn ret = GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) return ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      if (self->state->live) ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      // Pads are deactivated: no task and no push is running any more.
      reset_state(self);
      break;
    default:
      break;
  }
  return ret;
}

static void gst_twilio_src_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_TWILIO_SRC(object);
  switch (prop_id) {
    case PROP_LOCATION:
      GST_OBJECT_LOCK(self);
      g_free(self->location);
      self->location = g_value_dup_string(value);
      GST_OBJECT_UNLOCK(self);
      break;
    case PROP_TRACK:
      GST_OBJECT_LOCK(self);
      self->track = static_cast<GstTwilioTrack>(g_value_get_enum(value));
      GST_OBJECT_UNLOCK(self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void gst_twilio_src_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_TWILIO_SRC(object);
  switch (prop_id) {
    case PROP_LOCATION:
      GST_OBJECT_LOCK(self);
      g_value_set_string(value, self->location);
      GST_OBJECT_UNLOCK(self);
      break;
    case PROP_TRACK:
      GST_OBJECT_LOCK(self);
      g_value_set_enum(value, self->track);
      GST_OBJECT_UNLOCK(self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void gst_twilio_src_finalize(GObject* object) {
  auto* self = GST_TWILIO_SRC(object);
  reset_state(self);
  free(self->state->line);  // allocated by getline()
  delete self->state;
  g_free(self->location);
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_twilio_src_init(GstTwilioSrc* self) {
  self->state = new State();
  self->track = kDefaultTrack;
  self->location = nullptr;
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_activatemode_function(self->srcpad, src_activate_mode);
  gst_pad_set_query_function(self->srcpad, src_query);
  gst_pad_set_event_function(self->srcpad, src_event);
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SOURCE);
}

static void gst_twilio_src_class_init(GstTwilioSrcClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(gst_twilio_src_debug, "twiliosrc", 0, "Twilio Media Streams source");

  gobject_class->set_property = gst_twilio_src_set_property;
  gobject_class->get_property = gst_twilio_src_get_property;
  gobject_class->finalize = gst_twilio_src_finalize;
  element_class->change_state = gst_twilio_src_change_state;

  /**
   * GstTwilioSrc:location:
   * A capture file to replay (one Twilio JSON message per line). Unset (default): live mode,
   * fed through the push-* action signals. Read when going to PAUSED.
   */
  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Capture file",
                          "Twilio capture (JSONL) to replay; unset = live mode fed by the push-* action signals",
                          nullptr,
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));
  /**
   * GstTwilioSrc:track:
   * Which Twilio track this source emits (a both_tracks stream uses two sources).
   */
  g_object_class_install_property(
      gobject_class, PROP_TRACK,
      g_param_spec_enum("track", "Track", "Which Twilio track this source emits", GST_TYPE_TWILIO_TRACK, kDefaultTrack,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));

  /**
   * GstTwilioSrc::push-media:
   * @buffer: raw mu-law payload (not taken: the caller keeps its reference)
   * @timestamp_ms: `media.timestamp`, ms since stream start
   * Live mode: pushes the payload downstream on the caller's thread. Returns the flow.
   */
  signals[SIGNAL_PUSH_MEDIA] = g_signal_new_class_handler(
      "push-media", G_TYPE_FROM_CLASS(klass), static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(action_push_media), nullptr, nullptr, marshal_push_media, GST_TYPE_FLOW_RETURN, 2,
      GST_TYPE_BUFFER | G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_UINT64);
  g_signal_set_va_marshaller(signals[SIGNAL_PUSH_MEDIA], G_TYPE_FROM_CLASS(klass), marshal_push_media_v);
  /**
   * GstTwilioSrc::push-dtmf:
   * @digit: the key pressed. Live mode: posts a `twilio-dtmf` element message.
   */
  signals[SIGNAL_PUSH_DTMF] = g_signal_new_class_handler(
      "push-dtmf", G_TYPE_FROM_CLASS(klass), static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(action_push_dtmf), nullptr, nullptr, nullptr, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * GstTwilioSrc::push-mark:
   * @name: the mark Twilio echoed. Live mode: posts a `twilio-mark` element message.
   */
  signals[SIGNAL_PUSH_MARK] = g_signal_new_class_handler(
      "push-mark", G_TYPE_FROM_CLASS(klass), static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(action_push_mark), nullptr, nullptr, nullptr, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * GstTwilioSrc::end-of-stream:
   * Live mode: the stream stopped; pushes EOS downstream on the caller's thread.
   */
  signals[SIGNAL_END_OF_STREAM] = g_signal_new_class_handler(
      "end-of-stream", G_TYPE_FROM_CLASS(klass), static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(action_end_of_stream), nullptr, nullptr, nullptr, G_TYPE_NONE, 0);

  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Twilio Media Streams source", "Source/Audio/Network",
      "Caller audio of a Twilio Media Stream: live (pushed by the host) or replayed from a capture file",
      "mediaflow");
  gst_type_mark_as_plugin_api(GST_TYPE_TWILIO_TRACK, static_cast<GstPluginAPIFlags>(0));
}
