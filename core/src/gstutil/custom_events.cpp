#include <mediaflow/gstutil/custom_events.hpp>

namespace mediaflow::gstutil {

GstEvent* make_interruption_event(std::uint64_t event_id) {
  GstStructure* s = gst_structure_new(kInterruptionEventName, "event-id", G_TYPE_UINT64,
                                      static_cast<guint64>(event_id), nullptr);
  return gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM_OOB, s);
}

GstEvent* make_mark_event(const std::string& name) {
  GstStructure* s = gst_structure_new(kMarkEventName, "name", G_TYPE_STRING, name.c_str(), nullptr);
  return gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM, s);
}

GstEvent* make_mark_echo_event(const std::string& name) {
  GstStructure* s = gst_structure_new(kMarkEchoEventName, "name", G_TYPE_STRING, name.c_str(), nullptr);
  return gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM, s);
}

bool parse_interruption_event(GstEvent* event, std::uint64_t* event_id) {
  if (!event || GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_DOWNSTREAM_OOB) return false;
  const GstStructure* s = gst_event_get_structure(event);
  if (!s || !gst_structure_has_name(s, kInterruptionEventName)) return false;
  guint64 id = 0;
  gst_structure_get_uint64(s, "event-id", &id);
  if (event_id) *event_id = id;
  return true;
}

bool parse_mark_event(GstEvent* event, std::string* name) {
  if (!event || GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_DOWNSTREAM) return false;
  const GstStructure* s = gst_event_get_structure(event);
  if (!s || !gst_structure_has_name(s, kMarkEventName)) return false;
  const gchar* n = gst_structure_get_string(s, "name");
  if (name) *name = n ? n : "";
  return true;
}

bool parse_mark_echo_event(GstEvent* event, std::string* name) {
  if (!event || GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_DOWNSTREAM) return false;
  const GstStructure* s = gst_event_get_structure(event);
  if (!s || !gst_structure_has_name(s, kMarkEchoEventName)) return false;
  const gchar* n = gst_structure_get_string(s, "name");
  if (name) *name = n ? n : "";
  return true;
}

}  // namespace mediaflow::gstutil
