/**
 * SECTION:element-callrecorder
 *
 * Records a call: the caller track on the `caller` pad and the agent track on the `agent`
 * pad, into `root/path-template` — by default one stereo PCM16 WAV (left caller, right
 * agent), or with `layout=per-track` two mono WAVs `{recording_id}.caller.wav` and
 * `{recording_id}.agent.wav` — plus the manifest `{recording_id}.json` beside them.
 *
 * Rate: by default (`rate=0`) the recording has the rate of the audio it gets, S16LE mono at
 * 8000–64000 Hz: the first caps on either pad fix it (the writer is created then, so the WAV
 * header, the live `.wav.part` header and the manifest's `sample_rate` carry it), and from then
 * on both pads answer caps queries with that rate only, so upstream converters resample the
 * other track to it (caps at another rate are refused: not-negotiated). A Twilio call recorded
 * after `mulawdec` is 8 kHz, a jambonz call at 16 kHz is 16 kHz, with no resampler. A pad that
 * never got caps (no audio at all) leaves an empty recording at 8000 Hz. `rate=8000`..`64000`
 * fixes the rate instead, as before: both pads accept only that rate (upstream converts).
 *
 * Each buffer is written at the sample position its running time gives (running time 0 =
 * offset 0 of the file); whatever a track did not send is silence. So a silent or unlinked
 * agent pad never holds the caller back and offsets in the file are offsets in the call.
 * This is why the element is not a GstAggregator: an aggregator waits for data on every live
 * pad.
 *
 * Streaming threads never touch the disk: buffers are copied into a bounded queue (1000
 * buffers, ≈10 s of 20 ms frames on both tracks) and a small process-wide pool of writer
 * threads (2; `RECORDER_WRITER_THREADS` overrides) writes them in batches, one pool thread
 * at a time per recording. If the queue is full the buffer is dropped (a hole of silence, counted as
 * `dropped_buffers` in the manifest) and a warning is posted once.
 *
 * Crash safety: data goes to `<name>.wav.part` whose header is patched at least every
 * second of audio; a sidecar `{recording_id}.json.part` holds who the recording belongs
 * to. At the end (EOS on every linked pad, or the element going to READY) the writer
 * flushes, fsyncs, patches the header, renames `.part` away, writes the manifest (tmp +
 * rename) and posts `recording-complete`; then, if the end came from EOS, the element
 * posts EOS. `mediaflow recover DIR` finalises what a crash left behind.
 *
 * Agent formats: a sticky `mediaflow-agent-audio` event (gstutil/agent_audio_event.hpp, sent
 * by `elevenlabsagent` down the agent's track) is kept and written to the manifest as
 * `agent_audio` (docs/recordings.md).
 *
 * Faults (folder not creatable, disk full, I/O error) never stop the call: the element
 * posts a GST_ELEMENT_WARNING and a `recording-failed` message, keeps what reached the disk
 * as a playable WAV, and discards the rest of the audio.
 *
 * Element messages:
 * - `recording-complete`: `call_sid`, `stream_sid`, `recording_id`, `organization_id`,
 *   `started_at` (ISO 8601 UTC), `duration_seconds` (double), `sample_rate` (int),
 *   `channels` (int, per file), `tracks` (array of strings), `layout`, `bytes` (uint64),
 *   `sha256`, `pipeline`, `location` (first WAV), `manifest` (manifest path).
 * - `recording-failed`: `reason` (bad-path | exists | open-failed | write-failed), `detail`,
 *   `recording_id`, `location` (the partial WAV kept, or "").
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 audiotestsrc num-buffers=100 samplesperbuffer=1600 ! \
 *   audio/x-raw,rate=16000,channels=1 ! callrecorder name=rec root=/tmp/rec call-sid=CA1 \
 *   audiotestsrc wave=silence num-buffers=100 samplesperbuffer=1600 ! \
 *   audio/x-raw,rate=16000,channels=1 ! rec.agent
 * ]|
 */
#include "callrecorder.hpp"

#include "recording_writer.hpp"

#include <mediaflow/gstutil/agent_audio_event.hpp>
#include <mediaflow/protocol/recording_path.hpp>
#include <mediaflow/protocol/redact.hpp>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

GST_DEBUG_CATEGORY_STATIC(gst_call_recorder_debug);
#define GST_CAT_DEFAULT gst_call_recorder_debug

namespace rec = mediaflow::recorder;

namespace {

// 0: record at the rate the caps bring (the first caps on either pad decide, the other pad
// answers that rate to caps queries); 8000–64000: that rate, upstream converts.
constexpr guint kDefaultRate = 0;
constexpr guint kMinRate = 8000;
constexpr guint kMaxRate = 64000;
// With rate=0, a recording whose pads never got caps (no audio at all) is written at this rate.
constexpr guint kNoCapsRate = 8000;
constexpr rec::Layout kDefaultLayout = rec::Layout::kStereo;
constexpr const char* kDefaultRoot = "./recordings";

enum {
  PROP_0,
  PROP_ROOT,
  PROP_PATH_TEMPLATE,
  PROP_ORGANIZATION_ID,
  PROP_CALL_SID,
  PROP_STREAM_SID,
  PROP_RECORDING_ID,
  PROP_PIPELINE_NAME,
  PROP_RATE,
  PROP_LAYOUT,
};

#define RECORDER_CAPS "audio/x-raw, format=S16LE, channels=1, layout=interleaved, rate=[ 8000, 64000 ]"

GstStaticPadTemplate caller_template =
    GST_STATIC_PAD_TEMPLATE("caller", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(RECORDER_CAPS));
GstStaticPadTemplate agent_template =
    GST_STATIC_PAD_TEMPLATE("agent", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(RECORDER_CAPS));

}  // namespace

struct _GstCallRecorder {
  GstElement parent;
  GstPad* pads[2];  // [caller, agent]

  // Settings, under GST_OBJECT_LOCK.
  gchar* root;
  gchar* path_template;
  gchar* organization_id;
  gchar* call_sid;
  gchar* stream_sid;
  gchar* recording_id;
  gchar* pipeline_name;
  guint rate;
  gint layout;

  // State while PAUSED/PLAYING. `writer` is created before the pads activate (fixed rate) or
  // at the first caps (rate=0, under writer_lock, published atomically), and destroyed after
  // the pads deactivate, so chain functions may use it without a lock.
  rec::RecordingWriter* writer;
  GMutex writer_lock;
  guint active_rate;  // under GST_OBJECT_LOCK; 0 until the writer exists
  GstSegment segments[2];  // each touched only by its pad's streaming thread
  gboolean eos[2];         // under GST_OBJECT_LOCK
  guint32 eos_seqnum;      // under GST_OBJECT_LOCK
  gint overflow_warned;    // atomic
};

G_DEFINE_TYPE(GstCallRecorder, gst_call_recorder, GST_TYPE_ELEMENT)
GST_ELEMENT_REGISTER_DEFINE(callrecorder, "callrecorder", GST_RANK_NONE, GST_TYPE_CALL_RECORDER)

GType gst_call_recorder_layout_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(rec::Layout::kStereo), "One stereo WAV: left caller, right agent", "stereo"},
      {static_cast<gint>(rec::Layout::kPerTrack), "Two mono WAVs: .caller.wav and .agent.wav", "per-track"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstCallRecorderLayout", values));
  return type;
}

namespace {

int track_of(GstCallRecorder* self, GstPad* pad) { return pad == self->pads[0] ? 0 : 1; }

GstStructure* manifest_structure(const rec::RecordingResult& r) {
  const auto& m = r.manifest;
  GValue tracks = G_VALUE_INIT;
  gst_value_array_init(&tracks, m.tracks.size());
  for (const auto& t : m.tracks) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, G_TYPE_STRING);
    g_value_set_string(&v, t.c_str());
    gst_value_array_append_and_take_value(&tracks, &v);
  }
  GstStructure* s = gst_structure_new(
      "recording-complete", "call_sid", G_TYPE_STRING, m.call_sid.c_str(), "stream_sid", G_TYPE_STRING,
      m.stream_sid.c_str(), "recording_id", G_TYPE_STRING, m.recording_id.c_str(), "organization_id",
      G_TYPE_STRING, m.organization_id.c_str(), "started_at", G_TYPE_STRING, m.started_at.c_str(),
      "duration_seconds", G_TYPE_DOUBLE, m.duration_seconds, "sample_rate", G_TYPE_INT,
      static_cast<gint>(m.sample_rate), "channels", G_TYPE_INT, static_cast<gint>(m.channels), nullptr);
  gst_structure_take_value(s, "tracks", &tracks);
  gst_structure_set(s, "layout", G_TYPE_STRING, m.layout.c_str(), "bytes", G_TYPE_UINT64,
                    static_cast<guint64>(m.bytes), "sha256", G_TYPE_STRING, m.sha256.c_str(), "pipeline",
                    G_TYPE_STRING, m.pipeline.c_str(), "location", G_TYPE_STRING,
                    r.wav_paths.empty() ? "" : r.wav_paths.front().c_str(), "manifest", G_TYPE_STRING,
                    r.manifest_path.c_str(), nullptr);
  return s;
}

rec::RecordingWriter* writer_of(GstCallRecorder* self) {
  return static_cast<rec::RecordingWriter*>(g_atomic_pointer_get(&self->writer));
}

rec::RecordingWriter* start_writer(GstCallRecorder* self, guint rate) {
  rec::RecordingConfig config;
  GST_OBJECT_LOCK(self);
  config.root = self->root;
  config.path_template = self->path_template;
  config.organization_id = self->organization_id;
  config.call_sid = self->call_sid;
  config.stream_sid = self->stream_sid;
  config.recording_id = self->recording_id;
  config.pipeline = self->pipeline_name;
  config.rate = rate;
  config.layout = static_cast<rec::Layout>(self->layout);
  GST_OBJECT_UNLOCK(self);

  GST_INFO_OBJECT(self, "recording call %s at %u Hz", mediaflow::protocol::redact_sid(config.call_sid).c_str(), rate);
  rec::RecordingCallbacks callbacks;
  callbacks.complete = [self](const rec::RecordingResult& r) {
    GST_INFO_OBJECT(self, "recording complete: %.2f s, %" G_GUINT64_FORMAT " bytes",
                    r.manifest.duration_seconds, static_cast<guint64>(r.manifest.bytes));
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), manifest_structure(r)));
  };
  const std::string recording_id = config.recording_id;
  callbacks.failed = [self, recording_id](const std::string& reason, const std::string& detail,
                                          const std::filesystem::path& kept) {
    // The message text names no call or path (logs); the structure has the details.
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("Recording failed (%s): %s; the call goes on unrecorded",
                                                 reason.c_str(), detail.c_str()),
                        ("partial file kept: %s", kept.empty() ? "no" : "yes"));
    GstStructure* s = gst_structure_new("recording-failed", "reason", G_TYPE_STRING, reason.c_str(), "detail",
                                        G_TYPE_STRING, detail.c_str(), "recording_id", G_TYPE_STRING,
                                        recording_id.c_str(), "location", G_TYPE_STRING, kept.c_str(), nullptr);
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
  };
  callbacks.finished = [self](bool both_ended) {
    if (!both_ended) return;
    GST_OBJECT_LOCK(self);
    const guint32 seqnum = self->eos_seqnum;
    GST_OBJECT_UNLOCK(self);
    GstMessage* eos = gst_message_new_eos(GST_OBJECT(self));
    if (seqnum != GST_SEQNUM_INVALID) gst_message_set_seqnum(eos, seqnum);
    gst_element_post_message(GST_ELEMENT(self), eos);
  };
  return new rec::RecordingWriter(std::move(config), std::move(callbacks));
}

// The writer, created at `rate` if there is none yet (rate=0: the first caps decide). Returns
// the rate the recording has.
guint ensure_writer(GstCallRecorder* self, guint rate, bool* created = nullptr) {
  g_mutex_lock(&self->writer_lock);
  GST_OBJECT_LOCK(self);
  guint active = self->active_rate;
  GST_OBJECT_UNLOCK(self);
  if (!writer_of(self)) {
    rec::RecordingWriter* writer = start_writer(self, rate);
    GST_OBJECT_LOCK(self);
    self->active_rate = active = rate;  // before the writer is published: chain reads it after
    GST_OBJECT_UNLOCK(self);
    g_atomic_pointer_set(&self->writer, writer);
    if (created) *created = true;
  }
  g_mutex_unlock(&self->writer_lock);
  return active;
}

guint active_rate(GstCallRecorder* self) {
  GST_OBJECT_LOCK(self);
  const guint rate = self->active_rate;
  GST_OBJECT_UNLOCK(self);
  return rate;
}

GstFlowReturn chain(GstPad* pad, GstObject* parent, GstBuffer* buffer) {
  auto* self = GST_CALL_RECORDER(parent);
  const int t = track_of(self, pad);
  std::int64_t position = -1;
  const GstSegment& seg = self->segments[t];
  if (GST_BUFFER_PTS_IS_VALID(buffer) && seg.format == GST_FORMAT_TIME) {
    const guint64 rt = gst_segment_to_running_time(&seg, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
    if (rt == GST_CLOCK_TIME_NONE) {  // before the segment: not part of the call
      gst_buffer_unref(buffer);
      return GST_FLOW_OK;
    }
    position = static_cast<std::int64_t>(gst_util_uint64_scale_round(rt, active_rate(self), GST_SECOND));
  }
  GstMapInfo map;
  std::vector<std::int16_t> samples;
  if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    samples.resize(map.size / 2);
    std::memcpy(samples.data(), map.data, samples.size() * 2);
    gst_buffer_unmap(buffer, &map);
  }
  gst_buffer_unref(buffer);
  rec::RecordingWriter* writer = writer_of(self);
  if (writer && !samples.empty() && !writer->push(static_cast<rec::Track>(t), position, std::move(samples)) &&
      g_atomic_int_compare_and_exchange(&self->overflow_warned, 0, 1)) {
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("Recorder cannot keep up with the disk: dropping audio"),
                        ("writer queue full (%zu buffers)", rec::kDefaultQueueLimit));
  }
  return GST_FLOW_OK;
}

gboolean sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  auto* self = GST_CALL_RECORDER(parent);
  const int t = track_of(self, pad);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps* caps;
      gst_event_parse_caps(event, &caps);
      gint rate = 0;
      gst_structure_get_int(gst_caps_get_structure(caps, 0), "rate", &rate);
      gst_event_unref(event);
      if (rate < static_cast<gint>(kMinRate) || rate > static_cast<gint>(kMaxRate)) return FALSE;
      GST_OBJECT_LOCK(self);
      const guint fixed = self->rate;
      GST_OBJECT_UNLOCK(self);
      bool created = false;
      // A fixed rate has its writer since READY→PAUSED; rate=0: the first caps create it.
      const guint recording_rate = ensure_writer(self, fixed ? fixed : static_cast<guint>(rate), &created);
      if (rate != static_cast<gint>(recording_rate)) {
        GST_WARNING_OBJECT(pad, "caps rate %d, recorder records at %u", rate, recording_rate);
        return FALSE;
      }
      // The other track negotiates again: its caps query now answers this rate.
      if (created && gst_pad_is_linked(self->pads[1 - t])) gst_pad_push_event(self->pads[1 - t], gst_event_new_reconfigure());
      return TRUE;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment(event, &self->segments[t]);
      gst_event_unref(event);
      return TRUE;
    case GST_EVENT_FLUSH_STOP:
      gst_segment_init(&self->segments[t], GST_FORMAT_TIME);
      gst_event_unref(event);
      return TRUE;
    case GST_EVENT_EOS: {
      GstPad* other = self->pads[1 - t];
      GST_OBJECT_LOCK(self);
      self->eos[t] = TRUE;
      self->eos_seqnum = gst_event_get_seqnum(event);
      GST_OBJECT_UNLOCK(self);
      gst_event_unref(event);
      // EOS before any caps (rate=0, no audio): the recording is made all the same.
      ensure_writer(self, kNoCapsRate);
      if (rec::RecordingWriter* writer = writer_of(self)) {
        // An unlinked pad will never see EOS: it has nothing more to say either.
        if (!gst_pad_is_linked(other)) writer->end_track(static_cast<rec::Track>(1 - t));
        writer->end_track(static_cast<rec::Track>(t));
      }
      return TRUE;
    }
    default: {
      // Which formats the call's agent ran (from the agent element, along the agent track).
      mediaflow::protocol::AgentAudio agent_audio;
      if (mediaflow::gstutil::parse_agent_audio_event(event, &agent_audio)) {
        if (rec::RecordingWriter* writer = writer_of(self)) writer->set_agent_audio(agent_audio);
        gst_event_unref(event);
        return TRUE;
      }
      return gst_pad_event_default(pad, parent, event);
    }
  }
}

// The one rate the caller track's upstream can bring, or 0 when it can bring several (or
// nothing is linked). The caller track is the call's own format, so it decides the rate of a
// rate=0 recording; asking upstream keeps that true when the agent track negotiates first.
gint caller_upstream_rate(GstCallRecorder* self) {
  GstPad* caller = self->pads[0];
  if (!gst_pad_is_linked(caller)) return 0;
  GstCaps* up = gst_pad_peer_query_caps(caller, nullptr);
  gint rate = 0;
  if (up && !gst_caps_is_empty(up) && !gst_caps_is_any(up)) {
    gint first = 0;
    bool one = true;
    for (guint i = 0; i < gst_caps_get_size(up) && one; ++i) {
      gint r = 0;
      if (!gst_structure_get_int(gst_caps_get_structure(up, i), "rate", &r) || (first && r != first)) one = false;
      first = r;
    }
    if (one && first >= static_cast<gint>(kMinRate) && first <= static_cast<gint>(kMaxRate)) rate = first;
  }
  if (up) gst_caps_unref(up);
  return rate;
}

gboolean sink_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  auto* self = GST_CALL_RECORDER(parent);
  if (GST_QUERY_TYPE(query) != GST_QUERY_CAPS) return gst_pad_query_default(pad, parent, query);
  GST_OBJECT_LOCK(self);
  // The recording's rate once it has one, else the fixed rate, else (rate=0) the caller
  // track's rate when its upstream can bring only one, else any.
  gint rate = static_cast<gint>(self->active_rate ? self->active_rate : self->rate);
  GST_OBJECT_UNLOCK(self);
  if (!rate && track_of(self, pad) == 1) rate = caller_upstream_rate(self);
  GstCaps* caps = gst_pad_get_pad_template_caps(pad);
  caps = gst_caps_make_writable(caps);
  if (rate) gst_caps_set_simple(caps, "rate", G_TYPE_INT, rate, nullptr);
  GstCaps* filter = nullptr;
  gst_query_parse_caps(query, &filter);
  if (filter) {
    GstCaps* both = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(caps);
    caps = both;
  }
  gst_query_set_caps_result(query, caps);
  gst_caps_unref(caps);
  return TRUE;
}

GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) {
  auto* self = GST_CALL_RECORDER(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    GST_OBJECT_LOCK(self);
    const guint fixed = self->rate;
    self->active_rate = 0;
    self->eos[0] = self->eos[1] = FALSE;
    GST_OBJECT_UNLOCK(self);
    for (auto& seg : self->segments) gst_segment_init(&seg, GST_FORMAT_TIME);
    g_atomic_int_set(&self->overflow_warned, 0);
    if (fixed) ensure_writer(self, fixed);
  }
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_call_recorder_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY ||
      (transition == GST_STATE_CHANGE_READY_TO_PAUSED && ret == GST_STATE_CHANGE_FAILURE)) {
    // A call that ended before any caps still leaves its (empty) recording, as with a fixed rate.
    if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) ensure_writer(self, kNoCapsRate);
    // Pads are inactive now: no chain function can still use the writer. This waits for
    // one fsync + rename when the call ended without EOS.
    delete writer_of(self);
    g_atomic_pointer_set(&self->writer, nullptr);
    GST_OBJECT_LOCK(self);
    self->active_rate = 0;
    GST_OBJECT_UNLOCK(self);
  }
  return ret;
}

void set_string(gchar** field, const GValue* value) {
  g_free(*field);
  *field = g_value_dup_string(value);
  if (!*field) *field = g_strdup("");
}

void set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_CALL_RECORDER(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_ROOT: set_string(&self->root, value); break;
    case PROP_PATH_TEMPLATE: set_string(&self->path_template, value); break;
    case PROP_ORGANIZATION_ID: set_string(&self->organization_id, value); break;
    case PROP_CALL_SID: set_string(&self->call_sid, value); break;
    case PROP_STREAM_SID: set_string(&self->stream_sid, value); break;
    case PROP_RECORDING_ID: set_string(&self->recording_id, value); break;
    case PROP_PIPELINE_NAME: set_string(&self->pipeline_name, value); break;
    case PROP_RATE: {
      const guint rate = g_value_get_uint(value);
      if (rate == 0 || (rate >= kMinRate && rate <= kMaxRate))
        self->rate = rate;
      else
        GST_WARNING_OBJECT(self, "rate %u not supported (0 or 8000–64000); keeping %u", rate, self->rate);
      break;
    }
    case PROP_LAYOUT: self->layout = g_value_get_enum(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

void get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_CALL_RECORDER(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_ROOT: g_value_set_string(value, self->root); break;
    case PROP_PATH_TEMPLATE: g_value_set_string(value, self->path_template); break;
    case PROP_ORGANIZATION_ID: g_value_set_string(value, self->organization_id); break;
    case PROP_CALL_SID: g_value_set_string(value, self->call_sid); break;
    case PROP_STREAM_SID: g_value_set_string(value, self->stream_sid); break;
    case PROP_RECORDING_ID: g_value_set_string(value, self->recording_id); break;
    case PROP_PIPELINE_NAME: g_value_set_string(value, self->pipeline_name); break;
    case PROP_RATE: g_value_set_uint(value, self->rate); break;
    case PROP_LAYOUT: g_value_set_enum(value, self->layout); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

void finalize(GObject* object) {
  auto* self = GST_CALL_RECORDER(object);
  delete self->writer;
  g_mutex_clear(&self->writer_lock);
  for (gchar* s : {self->root, self->path_template, self->organization_id, self->call_sid, self->stream_sid,
                   self->recording_id, self->pipeline_name})
    g_free(s);
  G_OBJECT_CLASS(gst_call_recorder_parent_class)->finalize(object);
}

}  // namespace

static void gst_call_recorder_class_init(GstCallRecorderClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  element_class->change_state = change_state;

  constexpr auto kFlags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  // root: the recordings root; everything is written below it. Default: $RECORDINGS_DIR,
  // else ./recordings (read when the element is created).
  g_object_class_install_property(gobject_class, PROP_ROOT,
      g_param_spec_string("root", "Root", "Recordings root folder (default: $RECORDINGS_DIR or ./recordings)",
                          kDefaultRoot, kFlags));
  // path-template: relative to root, placeholders {organization_id} {call_sid} {stream_sid}
  // {recording_id}, each filled with a sanitised single path component.
  g_object_class_install_property(gobject_class, PROP_PATH_TEMPLATE,
      g_param_spec_string("path-template", "Path template",
                          "WAV path below root; {organization_id} {call_sid} {stream_sid} {recording_id}",
                          mediaflow::protocol::kDefaultRecordingPathTemplate.data(), kFlags));
  g_object_class_install_property(gobject_class, PROP_ORGANIZATION_ID,
      g_param_spec_string("organization-id", "Organization ID", "Owner of the call (empty: unassigned)", "", kFlags));
  g_object_class_install_property(gobject_class, PROP_CALL_SID,
      g_param_spec_string("call-sid", "Call SID", "Twilio call SID (empty: unknown)", "", kFlags));
  g_object_class_install_property(gobject_class, PROP_STREAM_SID,
      g_param_spec_string("stream-sid", "Stream SID", "Twilio stream SID, for the manifest", "", kFlags));
  // recording-id: defaults to a random UUID generated when the element is created.
  g_object_class_install_property(gobject_class, PROP_RECORDING_ID,
      g_param_spec_string("recording-id", "Recording ID", "Names the files (default: a random UUID)", nullptr, kFlags));
  g_object_class_install_property(gobject_class, PROP_PIPELINE_NAME,
      g_param_spec_string("pipeline-name", "Pipeline name", "Pipeline file name, for the manifest", "", kFlags));
  // rate: 0 (default) records at the rate the caps bring, 8000–64000 Hz: the first caps on
  // either pad fix it and the other pad then accepts only that rate. 8000–64000: both pads
  // accept this rate only (upstream converts).
  g_object_class_install_property(gobject_class, PROP_RATE,
      g_param_spec_uint("rate", "Rate",
                        "Sample rate of the recording: 0 = the rate of the caps (8000-64000), or a fixed rate",
                        0, kMaxRate, kDefaultRate, kFlags));
  g_object_class_install_property(gobject_class, PROP_LAYOUT,
      g_param_spec_enum("layout", "Layout", "One stereo WAV, or one mono WAV per track", GST_TYPE_CALL_RECORDER_LAYOUT,
                        static_cast<gint>(kDefaultLayout), kFlags));

  gst_element_class_add_static_pad_template(element_class, &caller_template);
  gst_element_class_add_static_pad_template(element_class, &agent_template);
  gst_element_class_set_static_metadata(element_class, "Call recorder", "Sink/Audio/File",
      "Writes the caller and agent tracks of a call to a crash-safe WAV with an evidence manifest",
      "mediaflow");
  gst_type_mark_as_plugin_api(GST_TYPE_CALL_RECORDER_LAYOUT, static_cast<GstPluginAPIFlags>(0));
  GST_DEBUG_CATEGORY_INIT(gst_call_recorder_debug, "callrecorder", 0, "call recorder");
}

static void gst_call_recorder_init(GstCallRecorder* self) {
  GstStaticPadTemplate* templates[2] = {&caller_template, &agent_template};
  for (int t = 0; t < 2; ++t) {
    self->pads[t] = gst_pad_new_from_static_template(templates[t], templates[t]->name_template);
    gst_pad_set_chain_function(self->pads[t], chain);
    gst_pad_set_event_function(self->pads[t], sink_event);
    gst_pad_set_query_function(self->pads[t], sink_query);
    gst_element_add_pad(GST_ELEMENT(self), self->pads[t]);
  }
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SINK);
  const char* env_root = std::getenv("RECORDINGS_DIR");
  self->root = g_strdup(env_root && *env_root ? env_root : kDefaultRoot);
  self->path_template = g_strdup(mediaflow::protocol::kDefaultRecordingPathTemplate.data());
  self->organization_id = g_strdup("");
  self->call_sid = g_strdup("");
  self->stream_sid = g_strdup("");
  self->recording_id = g_uuid_string_random();
  self->pipeline_name = g_strdup("");
  self->rate = kDefaultRate;
  self->layout = static_cast<gint>(kDefaultLayout);
  self->eos_seqnum = GST_SEQNUM_INVALID;
  g_mutex_init(&self->writer_lock);
}
