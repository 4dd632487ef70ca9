#include "mediaflow/gstutil/element_message_watch.hpp"

namespace mediaflow::gstutil {

GstBus* top_level_bus(GstElement* element) {
  GstObject* top = GST_OBJECT(gst_object_ref(element));
  while (GstObject* parent = gst_object_get_parent(top)) {
    gst_object_unref(top);
    top = parent;
  }
  GstBus* bus = gst_element_get_bus(GST_ELEMENT(top));
  gst_object_unref(top);
  return bus;
}

ElementMessageWatch watch_element_messages(GstElement* element, GCallback handler, gpointer data) {
  ElementMessageWatch watch;
  watch.bus = top_level_bus(element);
  if (watch.bus) {
    gst_bus_enable_sync_message_emission(watch.bus);
    watch.handler = g_signal_connect(watch.bus, "sync-message::element", handler, data);
  }
  return watch;
}

void unwatch_element_messages(ElementMessageWatch& watch) {
  if (!watch.bus) return;
  if (watch.handler) g_signal_handler_disconnect(watch.bus, watch.handler);
  gst_bus_disable_sync_message_emission(watch.bus);
  gst_clear_object(&watch.bus);
  watch.handler = 0;
}

}  // namespace mediaflow::gstutil
