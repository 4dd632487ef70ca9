#include <mediaflow/gstutil/run_to_eos.hpp>

namespace mediaflow::gstutil {

bool run_to_eos(GstElement* pipeline, std::string* error) {
  bool ok = gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
  GstBus* bus = gst_element_get_bus(pipeline);
  if (ok) {
    GstMessage* msg = gst_bus_timed_pop_filtered(
        bus, GST_CLOCK_TIME_NONE, static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      GError* err = nullptr;
      gst_message_parse_error(msg, &err, nullptr);
      *error = err ? err->message : "pipeline error";
      g_clear_error(&err);
      ok = false;
    }
    gst_message_unref(msg);
  } else {
    *error = "pipeline refused to start";
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  return ok;
}

}  // namespace mediaflow::gstutil
