#include <mediaflow/transport/egress_sink.hpp>

#include <mediaflow/gstutil/custom_events.hpp>
#include <mediaflow/gstutil/loop_context.hpp>

#include <gst/audio/audio.h>

#include <memory>
#include <mutex>
#include <utility>

GST_DEBUG_CATEGORY_STATIC(mediaflow_egress_sink_debug);
#define GST_CAT_DEFAULT mediaflow_egress_sink_debug

namespace mediaflow::transport {

std::string& Outbox::add(bool binary, bool audio) {
  if (count_ == items_.size()) items_.emplace_back();
  Item& item = items_[count_++];
  item.bytes.clear();
  item.binary = binary;
  item.audio = audio;
  return item.bytes;
}

}  // namespace mediaflow::transport

namespace {

using mediaflow::transport::AudioFormat;
using mediaflow::transport::Outbox;

constexpr int kFrameMs = 20;
// Long enough that a vendor's usual gap between two audio events of one response does not cut a
// short frame, short enough that a response's last frame (< 20 ms of audio) and its final mark
// are not noticeably late (the far end's buffer is usually seconds ahead anyway).
constexpr guint kDefaultPartialFlushMs = 100;

enum { PROP_0, PROP_PARTIAL_FLUSH_MS };

// Locking: `lock` is held from changing the state through delivering what that change made
// (Sender::send / deliver_offline), so the three callers — render and serialized events (the
// streaming thread), the out-of-band interruption (the agent's thread) and the quiet-time timer
// (the context chosen at start) — never interleave and messages leave in the order they were
// made. A Sender and deliver_offline must therefore not call back into this element.
struct Private {
  std::mutex lock;
  std::vector<std::uint8_t> pending;   // less than one frame, not yet sent
  std::vector<std::string> held;       // marks that arrived inside `pending`, in order
  std::size_t frame_bytes = 160;       // 20 ms of the negotiated caps
  guint partial_flush_ms = kDefaultPartialFlushMs;  // 0: a mark flushes the partial frame
  gint64 flush_at = -1;                // monotonic µs: last audio + partial_flush_ms
  std::optional<AudioFormat> format;   // the call's, when the host set it
  std::shared_ptr<mediaflow::transport::Sender> sender;
  Outbox outbox;                       // under `lock`
  // The quiet-time timer (READY→PAUSED .. PAUSED→READY): a source with a ready time, on the context the
  // streaming runs on in the host (the call's loop), or a private one offline.
  std::unique_ptr<mediaflow::gstutil::LoopContext> loop;
  GSource* timer = nullptr;
};

}  // namespace

// G_ADD_PRIVATE sizes the instance private area by <Type>Private.
using MediaflowEgressSinkPrivate = Private;

G_DEFINE_TYPE_WITH_CODE(MediaflowEgressSink, mediaflow_egress_sink, GST_TYPE_BASE_SINK,
                        G_ADD_PRIVATE(MediaflowEgressSink)
                        GST_DEBUG_CATEGORY_INIT(mediaflow_egress_sink_debug, "mediaflowegress", 0,
                                                "mediaflow transport egress base class"))

namespace {

Private* priv(MediaflowEgressSink* self) {
  return static_cast<Private*>(mediaflow_egress_sink_get_instance_private(self));
}

// Lock held.
void deliver(MediaflowEgressSink* self, Outbox& out) {
  Private* p = priv(self);
  auto* klass = MEDIAFLOW_EGRESS_SINK_GET_CLASS(self);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (p->sender) p->sender->send(out.at(i));
    else if (klass->deliver_offline) klass->deliver_offline(self, out.at(i));
  }
  out.clear();
}

// The marks held inside the frame just encoded, after it. Lock held.
void release_held(MediaflowEgressSink* self, Outbox& out) {
  Private* p = priv(self);
  auto* klass = MEDIAFLOW_EGRESS_SINK_GET_CLASS(self);
  for (const std::string& mark : p->held) klass->encode_mark(self, mark, out);
  p->held.clear();
}

// Whole frames out of `pending`; with `all`, the partial tail too. A held mark lies inside the
// partial frame it arrived in (it is never held with nothing pending), so it leaves right after
// the first frame out. Lock held.
void take_frames(MediaflowEgressSink* self, bool all, Outbox& out) {
  Private* p = priv(self);
  auto* klass = MEDIAFLOW_EGRESS_SINK_GET_CLASS(self);
  std::size_t pos = 0;
  while (p->pending.size() - pos >= p->frame_bytes) {
    klass->encode_audio(self, {p->pending.data() + pos, p->frame_bytes}, out);
    pos += p->frame_bytes;
    release_held(self, out);
  }
  if (all && pos < p->pending.size()) {
    klass->encode_audio(self, {p->pending.data() + pos, p->pending.size() - pos}, out);
    pos = p->pending.size();
  }
  if (all) release_held(self, out);
  p->pending.erase(p->pending.begin(), p->pending.begin() + static_cast<std::ptrdiff_t>(pos));
}

void drop_pending(Private* p) {
  p->pending.clear();
  p->held.clear();
  p->flush_at = -1;
  if (p->timer) g_source_set_ready_time(p->timer, -1);
}

// Audio just arrived: the partial frame left (if any) is flushed after the quiet time, unless
// more audio comes first. Lock held.
void arm_flush(Private* p) {
  if (p->pending.empty() || p->partial_flush_ms == 0 || !p->timer) {
    p->flush_at = -1;
    return;
  }
  p->flush_at = g_get_monotonic_time() + gint64(p->partial_flush_ms) * 1000;
  g_source_set_ready_time(p->timer, p->flush_at);  // thread-safe; wakes the context
}

// The quiet time passed with a partial frame pending: the response has ended, so its last
// frame and the marks held in it leave now instead of waiting for the next response.
gboolean on_flush_timer(gpointer data) {
  auto* self = MEDIAFLOW_EGRESS_SINK(data);
  Private* p = priv(self);
  std::lock_guard guard(p->lock);
  if (p->flush_at < 0) return G_SOURCE_CONTINUE;
  if (g_get_monotonic_time() < p->flush_at) {  // audio came meanwhile: wait again
    g_source_set_ready_time(p->timer, p->flush_at);
    return G_SOURCE_CONTINUE;
  }
  p->flush_at = -1;
  GST_DEBUG_OBJECT(self, "quiet for %u ms: flushing %zu bytes and %zu marks", p->partial_flush_ms,
                   p->pending.size(), p->held.size());
  take_frames(self, true, p->outbox);
  deliver(self, p->outbox);
  return G_SOURCE_CONTINUE;
}

gboolean timer_dispatch(GSource* source, GSourceFunc callback, gpointer data) {
  g_source_set_ready_time(source, -1);  // before the callback, which may re-arm it
  return callback ? callback(data) : G_SOURCE_CONTINUE;
}

GSourceFuncs timer_funcs = {nullptr, nullptr, timer_dispatch, nullptr, nullptr, nullptr};

}  // namespace

namespace mediaflow::transport {

void egress_set_format(MediaflowEgressSink* sink, const AudioFormat& format) {
  GST_OBJECT_LOCK(sink);
  priv(sink)->format = format;
  GST_OBJECT_UNLOCK(sink);
}

void egress_set_call(MediaflowEgressSink* sink, const CallStart& call) {
  auto* klass = MEDIAFLOW_EGRESS_SINK_GET_CLASS(sink);
  if (klass->set_call) klass->set_call(sink, call);
}

void egress_set_sender(MediaflowEgressSink* sink, std::shared_ptr<Sender> sender) {
  priv(sink)->sender = std::move(sender);  // before PLAYING: the streaming thread reads it after
}

}  // namespace mediaflow::transport

static GstCaps* mediaflow_egress_sink_get_caps(GstBaseSink* sink, GstCaps* filter) {
  auto* self = MEDIAFLOW_EGRESS_SINK(sink);
  GST_OBJECT_LOCK(self);
  const std::optional<AudioFormat> format = priv(self)->format;
  GST_OBJECT_UNLOCK(self);
  GstCaps* caps = format ? gst_caps_from_string(format->caps().c_str())
                         : gst_pad_get_pad_template_caps(GST_BASE_SINK_PAD(sink));
  if (filter) {
    GstCaps* both = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(caps);
    caps = both;
  }
  return caps;
}

static gboolean mediaflow_egress_sink_set_caps(GstBaseSink* sink, GstCaps* caps) {
  auto* self = MEDIAFLOW_EGRESS_SINK(sink);
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  gint rate = 0, channels = 1;
  gst_structure_get_int(s, "rate", &rate);
  gst_structure_get_int(s, "channels", &channels);
  const bool mulaw = gst_structure_has_name(s, "audio/x-mulaw");
  if (rate <= 0 || channels <= 0) return FALSE;
  const AudioFormat f{mulaw ? AudioFormat::Encoding::kMulaw : AudioFormat::Encoding::kS16le, rate, channels};
  std::lock_guard guard(priv(self)->lock);
  priv(self)->frame_bytes = std::max<std::size_t>(f.bytes_for_ms(kFrameMs), std::size_t(f.bytes_per_frame()));
  GST_DEBUG_OBJECT(self, "frames of %zu bytes", priv(self)->frame_bytes);
  return TRUE;
}

static GstFlowReturn mediaflow_egress_sink_render(GstBaseSink* sink, GstBuffer* buffer) {
  auto* self = MEDIAFLOW_EGRESS_SINK(sink);
  Private* p = priv(self);
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not map buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  {
    std::lock_guard guard(p->lock);
    Outbox& out = p->outbox;
    if (p->pending.empty() && map.size >= p->frame_bytes && map.size % p->frame_bytes == 0) {
      auto* klass = MEDIAFLOW_EGRESS_SINK_GET_CLASS(self);
      for (gsize pos = 0; pos < map.size; pos += p->frame_bytes)
        klass->encode_audio(self, {map.data + pos, p->frame_bytes}, out);
    } else {
      // Whole frames leave at once (no pacing); the partial rest waits for more audio.
      p->pending.insert(p->pending.end(), map.data, map.data + map.size);
      take_frames(self, false, out);
    }
    arm_flush(p);
    deliver(self, out);
  }
  gst_buffer_unmap(buffer, &map);
  return GST_FLOW_OK;
}

static gboolean mediaflow_egress_sink_event(GstBaseSink* sink, GstEvent* event) {
  auto* self = MEDIAFLOW_EGRESS_SINK(sink);
  Private* p = priv(self);
  auto* klass = MEDIAFLOW_EGRESS_SINK_GET_CLASS(self);
  std::string mark;
  if (mediaflow::gstutil::parse_interruption_event(event, nullptr)) {
    // Out of band, beside render: the lock keeps the clear after anything already sent.
    std::lock_guard guard(p->lock);
    GST_DEBUG_OBJECT(self, "interruption: dropping %zu pending bytes, sending %zu held marks after the clear",
                     p->pending.size(), p->held.size());
    // The held marks were never sent, yet the agent that placed them waits for their echo to
    // close its "heard" accounting. Dropping them would leave it waiting; sending them before
    // the clear would need the partial frame they belong to. So they follow the clear: the far
    // end's buffer is then empty and it echoes them at once (a Twilio mark comes back when the
    // audio queued before it has played: with nothing queued, at once), i.e. as played up to
    // the barge-in — the same answer the clear gives for the marks it already had (Twilio
    // echoes them, jambonz reports them `cleared`).
    std::vector<std::string> held;
    held.swap(p->held);
    drop_pending(p);
    klass->encode_clear(self, p->outbox);
    for (const std::string& m : held) klass->encode_mark(self, m, p->outbox);
    deliver(self, p->outbox);
    gst_event_unref(event);
    return TRUE;
  }
  if (mediaflow::gstutil::parse_mark_event(event, &mark)) {
    std::lock_guard guard(p->lock);
    if (p->pending.empty()) {
      klass->encode_mark(self, mark, p->outbox);  // on a frame boundary already
    } else if (p->partial_flush_ms == 0 || !p->timer) {
      take_frames(self, true, p->outbox);  // partial-flush-ms=0: the partial frame goes now
      klass->encode_mark(self, mark, p->outbox);
      p->flush_at = -1;
    } else {
      // Inside a partial frame: held until the audio after it completes that frame (or the
      // quiet time / EOS flushes it), then sent right after it.
      p->held.push_back(std::move(mark));
    }
    deliver(self, p->outbox);
    gst_event_unref(event);
    return TRUE;
  }
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_EOS: {
      std::lock_guard guard(p->lock);
      take_frames(self, true, p->outbox);
      p->flush_at = -1;
      deliver(self, p->outbox);
      break;
    }
    case GST_EVENT_FLUSH_STOP: {
      std::lock_guard guard(p->lock);
      drop_pending(p);
      break;
    }
    default:
      break;
  }
  return GST_BASE_SINK_CLASS(mediaflow_egress_sink_parent_class)->event(sink, event);
}

// The quiet-time timer lives from READY→PAUSED to PAUSED→READY. Set up in change_state, not
// start(): a subclass's start/stop need not chain up for the timer to exist (twiliosink's
// start does not).
static void timer_setup(MediaflowEgressSink* self) {
  Private* p = priv(self);
  // The context the streaming runs on: the host's call loop (thread-default now), else a
  // private thread (gst-launch, `mediaflow run`, tests).
  auto loop = std::make_unique<mediaflow::gstutil::LoopContext>("egressflush");
  GSource* timer = g_source_new(&timer_funcs, sizeof(GSource));
  g_source_set_priority(timer, G_PRIORITY_DEFAULT);
  // The source holds the element: a dispatch never outlives it.
  g_source_set_callback(timer, on_flush_timer, gst_object_ref(self), gst_object_unref);
  g_source_set_ready_time(timer, -1);
  g_source_attach(timer, loop->context());
  std::lock_guard guard(p->lock);
  p->timer = timer;
  p->flush_at = -1;
  p->loop = std::move(loop);
}

static void timer_teardown(MediaflowEgressSink* self) {
  Private* p = priv(self);
  GSource* timer = nullptr;
  std::unique_ptr<mediaflow::gstutil::LoopContext> loop;
  {
    std::lock_guard guard(p->lock);
    drop_pending(p);
    timer = std::exchange(p->timer, nullptr);
    loop = std::move(p->loop);
  }
  if (timer) {
    g_source_destroy(timer);  // drops the element's ref once no dispatch runs any more
    g_source_unref(timer);
  }
  loop.reset();  // joins a private thread (and any dispatch still running there)
}

static GstStateChangeReturn mediaflow_egress_sink_change_state(GstElement* element, GstStateChange transition) {
  auto* self = MEDIAFLOW_EGRESS_SINK(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) timer_setup(self);
  const GstStateChangeReturn ret = GST_ELEMENT_CLASS(mediaflow_egress_sink_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY ||
      (transition == GST_STATE_CHANGE_READY_TO_PAUSED && ret == GST_STATE_CHANGE_FAILURE))
    timer_teardown(self);
  return ret;
}

static gboolean mediaflow_egress_sink_stop(GstBaseSink* sink) {
  Private* p = priv(MEDIAFLOW_EGRESS_SINK(sink));
  std::lock_guard guard(p->lock);
  drop_pending(p);
  return TRUE;
}

static void mediaflow_egress_sink_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  Private* p = priv(MEDIAFLOW_EGRESS_SINK(object));
  switch (id) {
    case PROP_PARTIAL_FLUSH_MS: {
      std::lock_guard guard(p->lock);
      p->partial_flush_ms = g_value_get_uint(value);
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void mediaflow_egress_sink_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  Private* p = priv(MEDIAFLOW_EGRESS_SINK(object));
  switch (id) {
    case PROP_PARTIAL_FLUSH_MS: {
      std::lock_guard guard(p->lock);
      g_value_set_uint(value, p->partial_flush_ms);
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void mediaflow_egress_sink_finalize(GObject* object) {
  priv(MEDIAFLOW_EGRESS_SINK(object))->~Private();
  G_OBJECT_CLASS(mediaflow_egress_sink_parent_class)->finalize(object);
}

static void mediaflow_egress_sink_init(MediaflowEgressSink* self) {
  new (priv(self)) Private();
  // Not synchronised to the clock: audio leaves as soon as it is made (the far end buffers).
  gst_base_sink_set_sync(GST_BASE_SINK(self), FALSE);
  gst_base_sink_set_async_enabled(GST_BASE_SINK(self), FALSE);
}

static void mediaflow_egress_sink_class_init(MediaflowEgressSinkClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* base_sink_class = GST_BASE_SINK_CLASS(klass);
  gobject_class->finalize = mediaflow_egress_sink_finalize;
  GST_ELEMENT_CLASS(klass)->change_state = mediaflow_egress_sink_change_state;
  gobject_class->set_property = mediaflow_egress_sink_set_property;
  gobject_class->get_property = mediaflow_egress_sink_get_property;
  g_object_class_install_property(
      gobject_class, PROP_PARTIAL_FLUSH_MS,
      g_param_spec_uint("partial-flush-ms", "Partial flush (ms)",
                        "Quiet time after the last audio before the last partial frame of a response and the "
                        "marks held in it are sent; a mark inside a partial frame waits for the audio that "
                        "completes it. 0: a mark flushes the partial frame at once",
                        0, 10000, kDefaultPartialFlushMs,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)));
  base_sink_class->get_caps = mediaflow_egress_sink_get_caps;
  base_sink_class->set_caps = mediaflow_egress_sink_set_caps;
  base_sink_class->render = mediaflow_egress_sink_render;
  base_sink_class->event = mediaflow_egress_sink_event;
  base_sink_class->stop = mediaflow_egress_sink_stop;
  gst_type_mark_as_plugin_api(MEDIAFLOW_TYPE_EGRESS_SINK, static_cast<GstPluginAPIFlags>(0));
}
