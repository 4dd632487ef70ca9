#include "support/asr_run.hpp"

#include "support/loop_thread.hpp"

#include <cmath>
#include <condition_variable>
#include <gtest/gtest.h>

#include <functional>
#include <mutex>
#include <thread>

namespace mediaflow::test {

std::vector<const GstStructure*> AsrRun::named(const char* name) const {
  std::vector<const GstStructure*> out;
  for (const auto& m : messages)
    if (gst_structure_has_name(m.get(), name)) out.push_back(m.get());
  return out;
}

std::vector<const GstStructure*> AsrRun::finals() const {
  std::vector<const GstStructure*> out;
  for (const auto* s : named("mediaflow-transcript")) {
    gboolean f = FALSE;
    gst_structure_get_boolean(s, "is-final", &f);
    if (f) out.push_back(s);
  }
  return out;
}

double field(const GstStructure* s, const char* name) {
  double v = std::nan("");
  gst_structure_get_double(s, name, &v);
  return v;
}

std::vector<std::uint8_t> test_speech_s16(double seconds) {
  const std::size_t n = static_cast<std::size_t>(seconds * 16000);
  std::vector<std::uint8_t> out(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / 16000.0;
    const double env = 0.5 + 0.5 * std::sin(2 * M_PI * 3 * t);
    const auto v = static_cast<std::int16_t>(8000 * env * std::sin(2 * M_PI * 220 * t + i % 7));
    out[2 * i] = static_cast<std::uint8_t>(v & 0xff);
    out[2 * i + 1] = static_cast<std::uint8_t>((v >> 8) & 0xff);
  }
  return out;
}

namespace {

GstBuffer* chunk_buffer(const AsrInput& in, std::size_t offset, std::size_t n) {
  GstBuffer* b = gst_buffer_new_memdup(in.audio.data() + offset, n);
  GST_BUFFER_PTS(b) = in.first_pts_ns + gst_util_uint64_scale(offset, GST_SECOND, in.bytes_per_second);
  GST_BUFFER_DURATION(b) = gst_util_uint64_scale(n, GST_SECOND, in.bytes_per_second);
  return b;
}

void collect(GstBus* bus, AsrRun& run, int timeout_ms) {
  const gint64 start = g_get_monotonic_time();
  const gint64 deadline = start + gint64(timeout_ms) * 1000;
  while (true) {
    const gint64 left = deadline - g_get_monotonic_time();
    if (left <= 0) break;
    GstMessage* m = gst_bus_timed_pop(bus, static_cast<GstClockTime>(left) * 1000);
    if (!m) break;
    bool stop = false;
    switch (GST_MESSAGE_TYPE(m)) {
      case GST_MESSAGE_ELEMENT: {
        const GstStructure* s = gst_message_get_structure(m);
        if (s && g_str_has_prefix(gst_structure_get_name(s), "mediaflow-"))
          run.messages.emplace_back(gst_structure_copy(s));
        break;
      }
      case GST_MESSAGE_WARNING:
      case GST_MESSAGE_ERROR: {
        GError* e = nullptr;
        if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING) {
          gst_message_parse_warning(m, &e, nullptr);
          run.warnings.emplace_back(e->message);
        } else {
          gst_message_parse_error(m, &e, nullptr);
          run.errors.emplace_back(e->message);
          stop = true;
        }
        g_error_free(e);
        break;
      }
      case GST_MESSAGE_EOS:
        run.eos = true;
        run.seconds_to_eos = static_cast<double>(g_get_monotonic_time() - start) / 1e6;
        stop = true;
        break;
      default: break;
    }
    gst_message_unref(m);
    if (stop) break;
  }
}

// What a downstream element gets on the ASR's transcript pad: a fakesink handing each buffer
// over (on the ASR's pushing thread), and a probe for the EOS.
struct TranscriptCollector {
  std::mutex mu;
  std::vector<AsrRun::TranscriptBuffer> buffers;
  bool eos = false;

  static void on_handoff(GstElement*, GstBuffer* buffer, GstPad* pad, gpointer data) {
    auto* c = static_cast<TranscriptCollector*>(data);
    AsrRun::TranscriptBuffer b;
    b.pts = GST_BUFFER_PTS(buffer);
    b.result = gstutil::parse_transcript_buffer(buffer);
    if (GstCaps* caps = gst_pad_get_current_caps(pad)) {
      gchar* str = gst_caps_to_string(caps);
      b.caps = str;
      g_free(str);
      gst_caps_unref(caps);
    }
    std::lock_guard lock(c->mu);
    c->buffers.push_back(std::move(b));
  }
  static GstPadProbeReturn on_event(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* c = static_cast<TranscriptCollector*>(data);
    if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS) {
      std::lock_guard lock(c->mu);
      c->eos = true;
    }
    return GST_PAD_PROBE_OK;
  }

  // Adds the sink to `pipeline` and links `element`'s transcript pad to it.
  void attach(GstElement* pipeline, GstElement* element) {
    GstElement* sink = gst_element_factory_make("fakesink", "transcript-sink");
    g_object_set(sink, "sync", FALSE, "async", FALSE, "signal-handoffs", TRUE, nullptr);
    g_signal_connect(sink, "handoff", G_CALLBACK(on_handoff), this);
    gst_bin_add(GST_BIN(pipeline), sink);
    GstPad* pad = gst_element_get_static_pad(sink, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_event, this, nullptr);
    gst_object_unref(pad);
    EXPECT_TRUE(gst_element_link_pads(element, "transcript", sink, "sink")) << "no transcript pad to link";
  }
  void take(AsrRun& run) {
    std::lock_guard lock(mu);
    run.transcript_buffers = std::move(buffers);
    run.transcript_eos = eos;
  }
};

AsrRun run_appsrc(GstElement* element, const AsrInput& in) {
  AsrRun run;
  TranscriptCollector collector;
  GstElement* pipeline = gst_pipeline_new(nullptr);
  GstElement* src = gst_element_factory_make("appsrc", nullptr);
  GstCaps* caps = gst_caps_from_string(in.caps.c_str());
  g_object_set(src, "caps", caps, "format", GST_FORMAT_TIME, "max-bytes", guint64(0), nullptr);
  gst_caps_unref(caps);
  gst_bin_add_many(GST_BIN(pipeline), src, element, nullptr);
  gst_element_link_pads(src, "src", element, "sink");
  if (in.link_transcript) collector.attach(pipeline, element);
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  for (std::size_t off = 0; off < in.audio.size(); off += in.chunk_bytes) {
    GstBuffer* b = chunk_buffer(in, off, std::min(in.chunk_bytes, in.audio.size() - off));
    GstFlowReturn ret;
    g_signal_emit_by_name(src, "push-buffer", b, &ret);
    gst_buffer_unref(b);
  }
  if (in.pause_before_eos_ms) g_usleep(gulong(in.pause_before_eos_ms) * 1000);
  GstFlowReturn ret;
  g_signal_emit_by_name(src, "end-of-stream", &ret);
  collect(bus, run, in.timeout_ms);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  collector.take(run);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return run;
}

AsrRun run_inline(GstElement* element, const AsrInput& in) {
  AsrRun run;
  TranscriptCollector collector;
  LoopThread worker;
  GstElement* pipeline = gst_pipeline_new(nullptr);
  GstPad* src = gst_pad_new("src", GST_PAD_SRC);
  GstBus* bus = gst_element_get_bus(pipeline);
  // A live call pipeline does not preroll (twiliosrc is a live source): nothing may wait.
  g_object_set(element, "async", FALSE, nullptr);
  worker.run_sync([&] {
    gst_bin_add(GST_BIN(pipeline), element);
    if (in.link_transcript) collector.attach(pipeline, element);
    GstPad* sinkpad = gst_element_get_static_pad(element, "sink");
    gst_pad_link(src, sinkpad);
    gst_object_unref(sinkpad);
    gst_pad_set_active(src, TRUE);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    gst_pad_push_event(src, gst_event_new_stream_start("asr-test"));
    GstCaps* caps = gst_caps_from_string(in.caps.c_str());
    gst_pad_push_event(src, gst_event_new_caps(caps));
    gst_caps_unref(caps);
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    gst_pad_push_event(src, gst_event_new_segment(&segment));
  });
  // One job per 20 ms chunk, like one Twilio media message per loop dispatch.
  for (std::size_t off = 0; off < in.audio.size(); off += in.chunk_bytes) {
    worker.run_sync([&] { gst_pad_push(src, chunk_buffer(in, off, std::min(in.chunk_bytes, in.audio.size() - off))); });
  }
  if (in.pause_before_eos_ms) g_usleep(gulong(in.pause_before_eos_ms) * 1000);
  worker.run_sync([&] { gst_pad_push_event(src, gst_event_new_eos()); });
  collect(bus, run, in.timeout_ms);
  // Torn down from outside the loop's dispatch, as the host does from an idle callback.
  worker.run_sync([&] {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_pad_set_active(src, FALSE);
  });
  collector.take(run);
  gst_object_unref(src);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return run;
}

}  // namespace

AsrRun run_asr(GstElement* element, const AsrInput& input, PushMode mode) {
  return mode == PushMode::kAppsrc ? run_appsrc(element, input) : run_inline(element, input);
}

}  // namespace mediaflow::test
