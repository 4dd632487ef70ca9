#include <mediaflow/gstutil/agent_event.hpp>

namespace mediaflow::gstutil {

GstStructure* make_agent_event(const char* vendor, const char* kind, const std::string& text) {
  return gst_structure_new(kAgentEventName, "vendor", G_TYPE_STRING, vendor, "kind", G_TYPE_STRING, kind, "text",
                           G_TYPE_STRING, text.c_str(), nullptr);
}

GstStructure* make_heard_event(const char* vendor, const protocol::Heard& heard) {
  GstStructure* s = make_agent_event(vendor, "heard", "");
  gst_structure_set(s, "event-id", G_TYPE_UINT64, guint64(heard.event_id), "heard-ms", G_TYPE_UINT64,
                    guint64(heard.heard_ms), "sent-ms", G_TYPE_UINT64, guint64(heard.sent_ms), "interrupted",
                    G_TYPE_BOOLEAN, gboolean(heard.interrupted), nullptr);
  return s;
}

}  // namespace mediaflow::gstutil
