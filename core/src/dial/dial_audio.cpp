#include <mediaflow/dial/dial_audio.hpp>
#include <mediaflow/gstutil/run_to_eos.hpp>

#include <gst/gst.h>

#include <algorithm>
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

// The caps of one channel of `format` as raw PCM16, then its encoder when it is not PCM16.
std::string pcm_then_encoder(const transport::AudioFormat& format) {
  const std::string pcm = "audio/x-raw,format=S16LE,channels=1,rate=" + std::to_string(format.rate);
  return format.encoding == transport::AudioFormat::Encoding::kMulaw ? pcm + " ! mulawenc" : pcm;
}

}  // namespace

bool make_tone(double hz, double seconds, const transport::AudioFormat& format, std::vector<uint8_t>& out,
               std::string& error) {
  out.clear();
  if (!(hz > 0 && hz < format.rate / 2.0) || !(seconds > 0 && seconds <= 3600)) {
    error = "tone needs 0 < hz < rate/2 and 0 < seconds <= 3600";
    return false;
  }
  const auto samples = static_cast<uint64_t>(std::llround(seconds * format.rate));
  const uint64_t per_buffer = static_cast<uint64_t>(format.rate) / 50;  // 20 ms
  GstElement* pipeline = launch("audiotestsrc name=src wave=sine volume=0.5 samplesperbuffer=" +
                                    std::to_string(per_buffer) + " ! " + pcm_then_encoder(format) +
                                    " ! fakesink name=sink signal-handoffs=true sync=false",
                                error);
  if (!pipeline) return false;
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  g_object_set(src, "freq", hz, "num-buffers", static_cast<gint>((samples + per_buffer - 1) / per_buffer), nullptr);
  gst_object_unref(src);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_signal_connect(sink, "handoff", G_CALLBACK(+[](GstElement*, GstBuffer* buf, GstPad*, gpointer bytes_out) {
    auto* bytes = static_cast<std::vector<uint8_t>*>(bytes_out);
    GstMapInfo map;
    if (gst_buffer_map(buf, &map, GST_MAP_READ)) {
      bytes->insert(bytes->end(), map.data, map.data + map.size);
      gst_buffer_unmap(buf, &map);
    }
  }), &out);
  bool ok = run_to_eos(pipeline, error);
  g_signal_handlers_disconnect_by_data(sink, &out);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  const size_t bytes = samples * static_cast<size_t>(format.bytes_per_sample());
  if (ok && out.size() > bytes) out.resize(bytes);
  return ok && !out.empty();
}

bool write_as_wav(const std::filesystem::path& file, const std::vector<uint8_t>& audio,
                  const transport::AudioFormat& format, std::string& error) {
  const transport::AudioFormat track = format.mono();
  const bool mulaw = track.encoding == transport::AudioFormat::Encoding::kMulaw;
  GstElement* pipeline = launch("appsrc name=src format=time ! " + std::string(mulaw ? "mulawdec ! " : "") +
                                    "audio/x-raw,format=S16LE,channels=1,rate=" + std::to_string(track.rate) +
                                    " ! wavenc ! filesink name=sink",
                                error);
  if (!pipeline) return false;
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_object_set(sink, "location", file.c_str(), nullptr);
  gst_object_unref(sink);
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstCaps* caps = gst_caps_from_string(track.caps().c_str());
  g_object_set(src, "caps", caps, nullptr);
  gst_caps_unref(caps);
  if (!audio.empty()) {
    GstBuffer* buf = gst_buffer_new_memdup(audio.data(), audio.size());
    GST_BUFFER_PTS(buf) = 0;
    GST_BUFFER_DURATION(buf) = static_cast<GstClockTime>(track.duration_us(audio.size())) * GST_USECOND;
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

std::vector<uint8_t> caller_on_left(const std::vector<uint8_t>& caller, size_t bytes_per_sample) {
  std::vector<uint8_t> stereo(caller.size() / bytes_per_sample * bytes_per_sample * 2, 0);
  for (size_t i = 0, o = 0; i + bytes_per_sample <= caller.size(); i += bytes_per_sample, o += 2 * bytes_per_sample)
    std::copy_n(caller.begin() + static_cast<long>(i), bytes_per_sample, stereo.begin() + static_cast<long>(o));
  return stereo;
}

}  // namespace mediaflow::dial
