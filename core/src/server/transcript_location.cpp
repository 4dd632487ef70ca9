#include "server/transcript_location.hpp"

#include <mediaflow/protocol/recording_path.hpp>

#include <cstring>

namespace mediaflow::server {
namespace {

GstElement* find_recorder(GstElement* pipeline) {
  GstIterator* it = gst_bin_iterate_recurse(GST_BIN(pipeline));
  GValue item = G_VALUE_INIT;
  GstElement* found = nullptr;
  while (!found && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto* e = GST_ELEMENT(g_value_get_object(&item));
    GstElementFactory* f = gst_element_get_factory(e);
    if (f && std::strcmp(GST_OBJECT_NAME(f), "callrecorder") == 0) found = GST_ELEMENT(gst_object_ref(e));
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  return found;
}

std::string string_property(GstElement* e, const char* name) {
  gchar* v = nullptr;
  g_object_get(e, name, &v, nullptr);
  std::string out = v ? v : "";
  g_free(v);
  return out;
}

}  // namespace

std::filesystem::path transcript_location(GstElement* pipeline, const std::filesystem::path& recordings_dir,
                                          const CallIds& ids) {
  std::filesystem::path root = recordings_dir;
  std::string templ(protocol::kDefaultRecordingPathTemplate);
  protocol::RecordingPathValues values{ids.organization_id, ids.call_sid, ids.stream_sid, ids.recording_id};
  if (GstElement* rec = find_recorder(pipeline)) {
    if (auto r = string_property(rec, "root"); !r.empty()) root = r;
    if (auto t = string_property(rec, "path-template"); !t.empty()) templ = t;
    values.organization_id = string_property(rec, "organization-id");
    values.call_sid = string_property(rec, "call-sid");
    values.stream_sid = string_property(rec, "stream-sid");
    values.recording_id = string_property(rec, "recording-id");
    gst_object_unref(rec);
  }
  auto wav = protocol::recording_path(root, templ, values);
  if (!wav) return {};
  return wav->parent_path() / "transcript.jsonl";
}

}  // namespace mediaflow::server
