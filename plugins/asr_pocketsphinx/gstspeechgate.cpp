/**
 * SECTION:element-speechgate
 * @title: speechgate
 *
 * A cheap energy gate in front of a speech recogniser. A phone caller is silent most of the
 * call; a recogniser that decodes every frame spends most of its CPU on silence. speechgate
 * measures the RMS level of each buffer (≈ 1 instruction per sample) and passes audio only
 * from a loud buffer (level ≥ `threshold`) until `hangover` of quiet audio has followed the
 * last loud one (decided on audio time only: a recogniser that runs behind never keeps the
 * gate open longer). While closed it holds the last `pre-roll` of audio and passes
 * it when the gate opens, so the soft onset of the first word and some background reach the
 * recogniser too. Dropped stretches are gaps in the timestamps (buffers keep their PTS; the
 * first buffer after a gap is marked DISCONT), so downstream times stay call times. When
 * the gate closes it pushes a GAP event (at the end of the last buffer passed): the stretch
 * of speech is complete.
 *
 * Read-only counters `passed` and `dropped` (nanoseconds of audio) tell how much audio went
 * through. Events pass unchanged; a caps, segment, flush or EOS event drops the held
 * pre-roll and closes the gate (held audio belongs to the old stream). The element posts no
 * messages. Used inside `sphinxasr`; usable in front of any recogniser.
 *
 * ## Example launch line
 * |[
 * espeak-ng -w /tmp/yes.wav "yes"
 * GST_PLUGIN_PATH=build/plugins gst-launch-1.0 filesrc location=/tmp/yes.wav ! wavparse ! \
 *     audioconvert ! audio/x-raw,format=S16LE ! speechgate threshold=-45 ! wavenc ! \
 *     filesink location=/tmp/speech-only.wav
 * ]|
 */
#include "gstspeechgate.hpp"

#include "speech_gate.hpp"

#include <gst/audio/audio.h>

#include <algorithm>
#include <deque>

GST_DEBUG_CATEGORY_STATIC(gst_speech_gate_debug);
#define GST_CAT_DEFAULT gst_speech_gate_debug

namespace sph = mediaflow::sphinx;

namespace {

constexpr double kDefaultThreshold = -45.0;
constexpr guint kDefaultPreRollMs = 500;
constexpr guint kDefaultHangoverMs = 700;

enum {
  PROP_0,
  PROP_THRESHOLD,
  PROP_PRE_ROLL,
  PROP_HANGOVER,
  PROP_PASSED,
  PROP_DROPPED,
};

#define GATE_CAPS                                                                               \
  "audio/x-raw, format=(string){ S16LE, F32LE }, rate=(int)[ 8000, 48000 ], channels=(int)[ 1, 2 ], " \
  "layout=(string)interleaved"

GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(GATE_CAPS));
GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(GATE_CAPS));

}  // namespace

struct _GstSpeechGate {
  GstElement parent;
  GstPad* sinkpad;
  GstPad* srcpad;
  // Settings (GST_OBJECT_LOCK); the streaming thread copies them into `gate` at each
  // (re)start of the stream.
  double threshold;
  guint pre_roll_ms;
  guint hangover_ms;
  guint64 passed;   // GST_OBJECT_LOCK
  guint64 dropped;  // GST_OBJECT_LOCK
  // Streaming state (sink pad's thread).
  GstAudioInfo info;
  bool configured;
  sph::SpeechGate* gate;
  std::deque<GstBuffer*>* held;
  guint64 held_ns;
  bool gap;  // audio was dropped since the last buffer passed
};

G_DEFINE_TYPE(GstSpeechGate, gst_speech_gate, GST_TYPE_ELEMENT)
GST_ELEMENT_REGISTER_DEFINE(speechgate, "speechgate", GST_RANK_NONE, GST_TYPE_SPEECH_GATE)

namespace {

void restart_gate(GstSpeechGate* self) {
  sph::SpeechGateConfig config;
  GST_OBJECT_LOCK(self);
  config.threshold_dbfs = self->threshold;
  config.pre_roll_ns = guint64(self->pre_roll_ms) * GST_MSECOND;
  config.hangover_ns = guint64(self->hangover_ms) * GST_MSECOND;
  GST_OBJECT_UNLOCK(self);
  *self->gate = sph::SpeechGate(config);
}

void count(GstSpeechGate* self, guint64 GstSpeechGate::*field, guint64 ns) {
  GST_OBJECT_LOCK(self);
  self->*field += ns;
  GST_OBJECT_UNLOCK(self);
}

void drop_held(GstSpeechGate* self) {
  for (GstBuffer* b : *self->held) gst_buffer_unref(b);
  if (self->held_ns) count(self, &GstSpeechGate::dropped, self->held_ns);
  self->held->clear();
  self->held_ns = 0;
}

guint64 duration_of(GstSpeechGate* self, GstBuffer* buf, gsize size) {
  if (GST_BUFFER_DURATION_IS_VALID(buf)) return GST_BUFFER_DURATION(buf);
  if (!self->configured || GST_AUDIO_INFO_BPF(&self->info) == 0) return 0;
  return gst_util_uint64_scale(size / GST_AUDIO_INFO_BPF(&self->info), GST_SECOND, GST_AUDIO_INFO_RATE(&self->info));
}

double level_of(GstSpeechGate* self, GstBuffer* buf) {
  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) return -200.0;
  double db;
  if (GST_AUDIO_INFO_FORMAT(&self->info) == GST_AUDIO_FORMAT_F32LE) {
    db = sph::level_dbfs_f32(reinterpret_cast<const float*>(map.data), map.size / sizeof(float));
  } else {
    db = sph::level_dbfs_s16(reinterpret_cast<const std::int16_t*>(map.data), map.size / sizeof(std::int16_t));
  }
  gst_buffer_unmap(buf, &map);
  return db;
}

GstFlowReturn push_one(GstSpeechGate* self, GstBuffer* buf, guint64 ns) {
  if (self->gap) {
    buf = gst_buffer_make_writable(buf);  // metadata copy only: the memory stays shared
    GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
    self->gap = false;
  }
  count(self, &GstSpeechGate::passed, ns);
  return gst_pad_push(self->srcpad, buf);
}

GstFlowReturn chain(GstPad*, GstObject* parent, GstBuffer* buf) {
  auto* self = GST_SPEECH_GATE(parent);
  const guint64 ns = duration_of(self, buf, gst_buffer_get_size(buf));
  const double db = level_of(self, buf);
  switch (self->gate->next(db, ns)) {
    case sph::SpeechGate::Action::kHold: {
      self->held->push_back(buf);
      self->held_ns += ns;
      // Keep at most pre-roll: the oldest buffers are dropped for good.
      const guint64 limit = self->gate->config().pre_roll_ns;
      guint64 dropped = 0;
      while (!self->held->empty() && self->held_ns > limit) {
        GstBuffer* old = self->held->front();
        const guint64 old_ns = duration_of(self, old, gst_buffer_get_size(old));
        self->held->pop_front();
        self->held_ns -= std::min(self->held_ns, old_ns);
        dropped += old_ns;
        gst_buffer_unref(old);
        self->gap = true;
      }
      if (dropped) count(self, &GstSpeechGate::dropped, dropped);
      return GST_FLOW_OK;
    }
    case sph::SpeechGate::Action::kRelease: {
      GST_LOG_OBJECT(self, "open at %.1f dBFS, %" G_GUINT64_FORMAT " ms pre-roll", db, self->held_ns / GST_MSECOND);
      GstFlowReturn ret = GST_FLOW_OK;
      while (!self->held->empty()) {
        GstBuffer* b = self->held->front();
        self->held->pop_front();
        const guint64 b_ns = duration_of(self, b, gst_buffer_get_size(b));
        if (ret == GST_FLOW_OK) {
          ret = push_one(self, b, b_ns);
        } else {
          gst_buffer_unref(b);
        }
      }
      self->held_ns = 0;
      if (ret != GST_FLOW_OK) {
        gst_buffer_unref(buf);
        return ret;
      }
      return push_one(self, buf, ns);
    }
    case sph::SpeechGate::Action::kPass:
    default: {
      const GstClockTime end = GST_BUFFER_PTS_IS_VALID(buf) ? GST_BUFFER_PTS(buf) + ns : GST_CLOCK_TIME_NONE;
      const GstFlowReturn ret = push_one(self, buf, ns);
      // Closed with this buffer: a GAP tells downstream the stretch is complete now, not
      // when the next one starts (sphinxasr decodes each stretch as soon as it ends).
      if (!self->gate->is_open() && GST_CLOCK_TIME_IS_VALID(end)) gst_pad_push_event(self->srcpad, gst_event_new_gap(end, 0));
      return ret;
    }
  }
}

gboolean sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  auto* self = GST_SPEECH_GATE(parent);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps* caps = nullptr;
      gst_event_parse_caps(event, &caps);
      self->configured = gst_audio_info_from_caps(&self->info, caps);
      drop_held(self);
      restart_gate(self);
      self->gap = true;
      break;
    }
    case GST_EVENT_SEGMENT:
    case GST_EVENT_FLUSH_STOP:
    case GST_EVENT_EOS:
      drop_held(self);
      restart_gate(self);
      self->gap = true;
      break;
    default:
      break;
  }
  return gst_pad_event_default(pad, parent, event);
}

GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) {
  auto* self = GST_SPEECH_GATE(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    self->configured = false;
    self->gap = false;
    restart_gate(self);
  }
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_speech_gate_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) drop_held(self);  // pads are inactive now
  return ret;
}

void set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_SPEECH_GATE(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_THRESHOLD: self->threshold = g_value_get_double(value); break;
    case PROP_PRE_ROLL: self->pre_roll_ms = g_value_get_uint(value); break;
    case PROP_HANGOVER: self->hangover_ms = g_value_get_uint(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

void get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_SPEECH_GATE(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_THRESHOLD: g_value_set_double(value, self->threshold); break;
    case PROP_PRE_ROLL: g_value_set_uint(value, self->pre_roll_ms); break;
    case PROP_HANGOVER: g_value_set_uint(value, self->hangover_ms); break;
    case PROP_PASSED: g_value_set_uint64(value, self->passed); break;
    case PROP_DROPPED: g_value_set_uint64(value, self->dropped); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

void finalize(GObject* object) {
  auto* self = GST_SPEECH_GATE(object);
  for (GstBuffer* b : *self->held) gst_buffer_unref(b);
  delete self->held;
  delete self->gate;
  G_OBJECT_CLASS(gst_speech_gate_parent_class)->finalize(object);
}

}  // namespace

static void gst_speech_gate_init(GstSpeechGate* self) {
  self->threshold = kDefaultThreshold;
  self->pre_roll_ms = kDefaultPreRollMs;
  self->hangover_ms = kDefaultHangoverMs;
  self->passed = self->dropped = 0;
  gst_audio_info_init(&self->info);
  self->configured = false;
  self->gate = new sph::SpeechGate();
  self->held = new std::deque<GstBuffer*>();
  self->held_ns = 0;
  self->gap = false;

  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(sink_event));
  GST_PAD_SET_PROXY_CAPS(self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION(self->sinkpad);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  GST_PAD_SET_PROXY_CAPS(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_speech_gate_class_init(GstSpeechGateClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;

  const auto rw = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto ro = GParamFlags(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  // threshold: RMS level (dBFS) of a buffer that opens the gate. Quiet phone speech is around
  // -35 dBFS, line noise -60 dBFS and below. -100 passes everything but digital silence.
  g_object_class_install_property(gobject_class, PROP_THRESHOLD,
      g_param_spec_double("threshold", "Threshold", "RMS level (dBFS) of a buffer that counts as speech", -100.0,
                          0.0, kDefaultThreshold, rw));
  g_object_class_install_property(gobject_class, PROP_PRE_ROLL,
      g_param_spec_uint("pre-roll", "Pre-roll", "Audio (ms) before the onset that is passed when the gate opens", 0,
                        2000, kDefaultPreRollMs, rw));
  g_object_class_install_property(gobject_class, PROP_HANGOVER,
      g_param_spec_uint("hangover", "Hangover", "Quiet audio (ms) passed after the last loud buffer", 0, 10000,
                        kDefaultHangoverMs, rw));
  g_object_class_install_property(gobject_class, PROP_PASSED,
      g_param_spec_uint64("passed", "Passed", "Audio (ns) passed downstream since creation", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property(gobject_class, PROP_DROPPED,
      g_param_spec_uint64("dropped", "Dropped", "Audio (ns) dropped as silence since creation", 0, G_MAXUINT64, 0, ro));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "Speech gate", "Filter/Audio",
                                        "Passes only speech (with pre-roll and hangover) to a recogniser",
                                        "mediaflow");
  element_class->change_state = GST_DEBUG_FUNCPTR(change_state);
  GST_DEBUG_CATEGORY_INIT(gst_speech_gate_debug, "speechgate", 0, "energy gate in front of a recogniser");
}
