#include <mediaflow/dial/dial_audio.hpp>
#include <mediaflow/gstutil/run_to_eos.hpp>

#include <gst/gst.h>

#include <cmath>

namespace mediaflow::dial {
namespace {

bool run_to_eos(GstElement* pipeline, std::string& error) { return gstutil::run_to_eos(pipeline, &error); }

GstElement* launch(const std::string& description, std::string& error) {
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &err);
  if (!pipeline || err) {
    error = std::string("cannot build pipeline: ") + (err ? err->message : "?");
    g_clear_error(&err);
    if (pipeline) gst_object_unref(pipeline);
    return nullptr;
  }
  return pipeline;
}

}  // namespace

bool make_tone_mulaw(double hz, double seconds, std::vector<uint8_t>& mulaw, std::string& error) {
  mulaw.clear();
  if (!(hz > 0 && hz < 4000) || !(seconds > 0 && seconds <= 3600)) {
    error = "tone needs 0 < hz < 4000 and 0 < seconds <= 3600";
    return false;
  }
  const auto samples = static_cast<uint64_t>(std::llround(seconds * 8000));
  GstElement* pipeline = launch(
      "audiotestsrc name=src wave=sine volume=0.5 samplesperbuffer=160 ! "
      "audio/x-raw,format=S16LE,rate=8000,channels=1 ! mulawenc ! fakesink name=sink signal-handoffs=true sync=false",
      error);
  if (!pipeline) return false;
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  g_object_set(src, "freq", hz, "num-buffers", static_cast<gint>((samples + 159) / 160), nullptr);
  gst_object_unref(src);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_signal_connect(sink, "handoff", G_CALLBACK(+[](GstElement*, GstBuffer* buf, GstPad*, gpointer out) {
    auto* bytes = static_cast<std::vector<uint8_t>*>(out);
    GstMapInfo map;
    if (gst_buffer_map(buf, &map, GST_MAP_READ)) {
      bytes->insert(bytes->end(), map.data, map.data + map.size);
      gst_buffer_unmap(buf, &map);
    }
  }), &mulaw);
  bool ok = run_to_eos(pipeline, error);
  g_signal_handlers_disconnect_by_data(sink, &mulaw);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  if (ok && mulaw.size() > samples) mulaw.resize(samples);
  return ok && !mulaw.empty();
}

bool write_mulaw_as_wav(const std::filesystem::path& file, const std::vector<uint8_t>& mulaw,
                        std::string& error) {
  GstElement* pipeline = launch(
      "appsrc name=src format=time caps=audio/x-mulaw,rate=8000,channels=1 ! mulawdec ! "
      "audio/x-raw,format=S16LE,rate=8000,channels=1 ! wavenc ! filesink name=sink",
      error);
  if (!pipeline) return false;
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_object_set(sink, "location", file.c_str(), nullptr);
  gst_object_unref(sink);
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  if (!mulaw.empty()) {
    GstBuffer* buf = gst_buffer_new_memdup(mulaw.data(), mulaw.size());
    GST_BUFFER_PTS(buf) = 0;
    GST_BUFFER_DURATION(buf) = gst_util_uint64_scale(mulaw.size(), GST_SECOND, 8000);
    GstFlowReturn flow;
    g_signal_emit_by_name(src, "push-buffer", buf, &flow);  // takes its own ref
    gst_buffer_unref(buf);
  }
  GstFlowReturn flow;
  g_signal_emit_by_name(src, "end-of-stream", &flow);
  gst_object_unref(src);
  bool ok = run_to_eos(pipeline, error);
  gst_object_unref(pipeline);
  if (!ok) error = "cannot write " + file.string() + ": " + error;
  return ok;
}

}  // namespace mediaflow::dial
