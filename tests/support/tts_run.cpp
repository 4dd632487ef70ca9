#include "support/tts_run.hpp"

#include <mediaflow/gstutil/custom_events.hpp>

#include <algorithm>

namespace mediaflow::test {

namespace {
GstStaticPadTemplate feed_template = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
GstStaticPadTemplate capture_template = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
}  // namespace

TtsRun::TtsRun(GstElement* element) : element_(element) {
  g_mutex_init(&lock_);
  g_cond_init(&cond_);
  pipeline_ = gst_pipeline_new("tts-run");
  gst_bin_add(GST_BIN(pipeline_), element_);
  feed_ = gst_pad_new_from_static_template(&feed_template, "feed");
  capture_ = gst_pad_new_from_static_template(&capture_template, "capture");
  g_object_set_data(G_OBJECT(capture_), "tts-run", this);
  gst_pad_set_chain_function(capture_, chain);
  gst_pad_set_event_function(capture_, event);
  GstPad* sink = gst_element_get_static_pad(element_, "sink");
  GstPad* src = gst_element_get_static_pad(element_, "src");
  gst_pad_link(feed_, sink);
  gst_pad_link(src, capture_);
  gst_object_unref(sink);
  gst_object_unref(src);
}

TtsRun::~TtsRun() {
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  gst_pad_set_active(feed_, FALSE);
  gst_pad_set_active(capture_, FALSE);
  gst_object_unref(feed_);
  gst_object_unref(capture_);
  gst_object_unref(pipeline_);
  g_cond_clear(&cond_);
  g_mutex_clear(&lock_);
}

bool TtsRun::play() {
  gst_pad_set_active(capture_, TRUE);
  gst_pad_set_active(feed_, TRUE);
  if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) return false;
  gst_pad_push_event(feed_, gst_event_new_stream_start("tts-run-text"));
  GstCaps* caps = gst_caps_from_string("text/x-raw, format=utf8");
  gst_pad_push_event(feed_, gst_event_new_caps(caps));
  gst_caps_unref(caps);
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_pad_push_event(feed_, gst_event_new_segment(&segment));
  return true;
}

void TtsRun::push_text(const std::string& text, bool flush) {
  GstBuffer* b = gst_buffer_new_memdup(text.data(), text.size());
  if (flush) GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_MARKER);
  gst_pad_push(feed_, b);
}

void TtsRun::end_input() { gst_pad_push_event(feed_, gst_event_new_eos()); }

void TtsRun::interrupt() { gst_pad_push_event(feed_, gstutil::make_interruption_event(1)); }

GstFlowReturn TtsRun::chain(GstPad* pad, GstObject*, GstBuffer* buffer) {
  auto* self = static_cast<TtsRun*>(g_object_get_data(G_OBJECT(pad), "tts-run"));
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_READ);
  g_mutex_lock(&self->lock_);
  self->out_.audio.insert(self->out_.audio.end(), map.data, map.data + map.size);
  self->out_.pts.push_back(GST_BUFFER_PTS(buffer));
  self->out_.ends.push_back(GST_BUFFER_PTS(buffer) + GST_BUFFER_DURATION(buffer));
  g_cond_broadcast(&self->cond_);
  g_mutex_unlock(&self->lock_);
  gst_buffer_unmap(buffer, &map);
  gst_buffer_unref(buffer);
  return GST_FLOW_OK;
}

gboolean TtsRun::event(GstPad* pad, GstObject*, GstEvent* event) {
  auto* self = static_cast<TtsRun*>(g_object_get_data(G_OBJECT(pad), "tts-run"));
  g_mutex_lock(&self->lock_);
  std::string name;
  if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
    GstCaps* caps = nullptr;
    gst_event_parse_caps(event, &caps);
    gchar* s = gst_caps_to_string(caps);
    self->out_.caps = s;
    g_free(s);
  } else if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) {
    self->out_.eos = true;
  } else if (gstutil::parse_mark_event(event, &name)) {
    self->out_.marks.emplace_back(self->out_.audio.size(), name);
  } else if (gstutil::parse_interruption_event(event, nullptr)) {
    ++self->out_.interruptions;
  }
  g_cond_broadcast(&self->cond_);
  g_mutex_unlock(&self->lock_);
  gst_event_unref(event);
  return TRUE;
}

void TtsRun::drain_bus() {
  GstBus* bus = gst_element_get_bus(pipeline_);
  while (GstMessage* m = gst_bus_pop(bus)) {
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR || GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING) {
      GError* e = nullptr;
      gchar* debug = nullptr;
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) gst_message_parse_error(m, &e, &debug);
      else gst_message_parse_warning(m, &e, &debug);
      g_mutex_lock(&lock_);
      (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR ? out_.errors : out_.warnings).push_back(e ? e->message : "");
      g_mutex_unlock(&lock_);
      g_clear_error(&e);
      g_free(debug);
    } else if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ELEMENT && gst_message_get_structure(m)) {
      g_mutex_lock(&lock_);
      out_.element_messages.emplace_back(gst_structure_get_name(gst_message_get_structure(m)));
      g_mutex_unlock(&lock_);
    }
    gst_message_unref(m);
  }
  gst_object_unref(bus);
}

template <class Pred>
bool TtsRun::wait(Pred pred, unsigned timeout_ms) {
  const gint64 deadline = g_get_monotonic_time() + gint64(timeout_ms) * 1000;
  for (;;) {
    drain_bus();
    g_mutex_lock(&lock_);
    const bool ok = pred(out_);
    if (!ok) g_cond_wait_until(&cond_, &lock_, std::min(deadline, g_get_monotonic_time() + 20000));
    g_mutex_unlock(&lock_);
    if (ok) return true;
    if (g_get_monotonic_time() >= deadline) return false;
  }
}

bool TtsRun::wait_eos(unsigned timeout_ms) {
  return wait([](const TtsOutput& o) { return o.eos; }, timeout_ms);
}
bool TtsRun::wait_audio_bytes(std::size_t bytes, unsigned timeout_ms) {
  return wait([bytes](const TtsOutput& o) { return o.audio.size() >= bytes; }, timeout_ms);
}
bool TtsRun::wait_marks(std::size_t count, unsigned timeout_ms) {
  return wait([count](const TtsOutput& o) { return o.marks.size() >= count; }, timeout_ms);
}
bool TtsRun::wait_message(bool error, unsigned timeout_ms) {
  return wait([error](const TtsOutput& o) { return !(error ? o.errors : o.warnings).empty(); }, timeout_ms);
}

TtsOutput TtsRun::output() {
  drain_bus();
  g_mutex_lock(&lock_);
  TtsOutput o = out_;
  g_mutex_unlock(&lock_);
  return o;
}

}  // namespace mediaflow::test
