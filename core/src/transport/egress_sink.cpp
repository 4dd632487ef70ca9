#include <mediaflow/transport/egress_sink.hpp>

#include <mediaflow/gstutil/custom_events.hpp>

#include <gst/audio/audio.h>

#include <mutex>

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

struct Private {
  std::mutex lock;                     // pending: render and the out-of-band clear
  std::vector<std::uint8_t> pending;   // less than one frame, not yet sent
  std::size_t frame_bytes = 160;       // 20 ms of the negotiated caps
  std::optional<AudioFormat> format;   // the call's, when the host set it
  std::shared_ptr<mediaflow::transport::Sender> sender;
  Outbox outbox;                       // the streaming thread's
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

void deliver(MediaflowEgressSink* self, Outbox& out) {
  Private* p = priv(self);
  auto* klass = MEDIAFLOW_EGRESS_SINK_GET_CLASS(self);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (p->sender) p->sender->send(out.at(i));
    else if (klass->deliver_offline) klass->deliver_offline(self, out.at(i));
  }
  out.clear();
}

// Whole frames out of `pending`; with `all`, the partial tail too. Lock held.
void take_frames(MediaflowEgressSink* self, bool all, Outbox& out) {
  Private* p = priv(self);
  auto* klass = MEDIAFLOW_EGRESS_SINK_GET_CLASS(self);
  std::size_t pos = 0;
  while (p->pending.size() - pos >= p->frame_bytes) {
    klass->encode_audio(self, {p->pending.data() + pos, p->frame_bytes}, out);
    pos += p->frame_bytes;
  }
  if (all && pos < p->pending.size()) {
    klass->encode_audio(self, {p->pending.data() + pos, p->pending.size() - pos}, out);
    pos = p->pending.size();
  }
  p->pending.erase(p->pending.begin(), p->pending.begin() + static_cast<std::ptrdiff_t>(pos));
}

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
  Outbox& out = p->outbox;
  {
    std::lock_guard guard(p->lock);
    if (p->pending.empty() && map.size >= p->frame_bytes && map.size % p->frame_bytes == 0) {
      auto* klass = MEDIAFLOW_EGRESS_SINK_GET_CLASS(self);
      for (gsize pos = 0; pos < map.size; pos += p->frame_bytes)
        klass->encode_audio(self, {map.data + pos, p->frame_bytes}, out);
    } else {
      p->pending.insert(p->pending.end(), map.data, map.data + map.size);
      take_frames(self, false, out);
    }
  }
  gst_buffer_unmap(buffer, &map);
  deliver(self, out);
  return GST_FLOW_OK;
}

static gboolean mediaflow_egress_sink_event(GstBaseSink* sink, GstEvent* event) {
  auto* self = MEDIAFLOW_EGRESS_SINK(sink);
  Private* p = priv(self);
  auto* klass = MEDIAFLOW_EGRESS_SINK_GET_CLASS(self);
  std::string mark;
  if (mediaflow::gstutil::parse_interruption_event(event, nullptr)) {
    Outbox clear;  // out of band: may run beside render, so not the streaming thread's outbox
    {
      std::lock_guard guard(p->lock);
      GST_DEBUG_OBJECT(self, "interruption: dropping %zu pending bytes", p->pending.size());
      p->pending.clear();
      klass->encode_clear(self, clear);
    }
    deliver(self, clear);
    gst_event_unref(event);
    return TRUE;
  }
  Outbox& out = p->outbox;  // serialized events: the streaming thread
  if (mediaflow::gstutil::parse_mark_event(event, &mark)) {
    {
      std::lock_guard guard(p->lock);
      take_frames(self, true, out);
      klass->encode_mark(self, mark, out);
    }
    deliver(self, out);
    gst_event_unref(event);
    return TRUE;
  }
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_EOS: {
      {
        std::lock_guard guard(p->lock);
        take_frames(self, true, out);
      }
      deliver(self, out);
      break;
    }
    case GST_EVENT_FLUSH_STOP: {
      std::lock_guard guard(p->lock);
      p->pending.clear();
      break;
    }
    default:
      break;
  }
  return GST_BASE_SINK_CLASS(mediaflow_egress_sink_parent_class)->event(sink, event);
}

static gboolean mediaflow_egress_sink_stop(GstBaseSink* sink) {
  std::lock_guard guard(priv(MEDIAFLOW_EGRESS_SINK(sink))->lock);
  priv(MEDIAFLOW_EGRESS_SINK(sink))->pending.clear();
  return TRUE;
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
  base_sink_class->get_caps = mediaflow_egress_sink_get_caps;
  base_sink_class->set_caps = mediaflow_egress_sink_set_caps;
  base_sink_class->render = mediaflow_egress_sink_render;
  base_sink_class->event = mediaflow_egress_sink_event;
  base_sink_class->stop = mediaflow_egress_sink_stop;
  gst_type_mark_as_plugin_api(MEDIAFLOW_TYPE_EGRESS_SINK, static_cast<GstPluginAPIFlags>(0));
}
