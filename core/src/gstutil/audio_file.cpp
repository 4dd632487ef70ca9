#include <mediaflow/gstutil/audio_file.hpp>
#include <mediaflow/gstutil/run_to_eos.hpp>

#include <gst/gst.h>

namespace mediaflow::gstutil {

namespace {
void on_handoff(GstElement*, GstBuffer* buffer, GstPad*, gpointer user_data) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(user_data);
  GstMapInfo map;
  if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    out->insert(out->end(), map.data, map.data + map.size);
    gst_buffer_unmap(buffer, &map);
  }
}
}  // namespace

bool decode_file(const std::filesystem::path& file, const transport::AudioFormat& format,
                 std::vector<std::uint8_t>& out, std::string& error) {
  out.clear();
  if (!std::filesystem::is_regular_file(file)) {
    error = "no such file: " + file.string();
    return false;
  }
  GError* parse_error = nullptr;
  const bool mulaw_out = format.encoding == transport::AudioFormat::Encoding::kMulaw;
  const std::string description = "filesrc name=src ! decodebin ! audioconvert ! audioresample ! "
                                  "audio/x-raw,format=S16LE,channels=1,rate=" +
                                  std::to_string(format.rate) + (mulaw_out ? " ! mulawenc" : "") +
                                  " ! fakesink name=sink signal-handoffs=true sync=false";
  GstElement* pipeline = gst_parse_launch(description.c_str(), &parse_error);
  if (!pipeline) {
    error = std::string("cannot build decoder: ") + (parse_error ? parse_error->message : "?");
    g_clear_error(&parse_error);
    return false;
  }
  g_clear_error(&parse_error);  // a partial-construction warning is not fatal here
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_object_set(src, "location", file.c_str(), nullptr);
  g_signal_connect(sink, "handoff", G_CALLBACK(on_handoff), &out);
  gst_object_unref(src);

  std::string why;
  const bool ok = run_to_eos(pipeline, &why);
  if (!ok) error = "cannot decode " + file.string() + ": " + why;
  g_signal_handlers_disconnect_by_data(sink, &out);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  if (!ok) out.clear();
  return ok;
}

}  // namespace mediaflow::gstutil
