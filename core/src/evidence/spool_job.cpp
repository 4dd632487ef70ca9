#include <mediaflow/evidence/spool_job.hpp>

#include <json-glib/json-glib.h>

#include <cstring>

namespace mediaflow::evidence {
namespace {

void member(JsonBuilder* b, const char* name, const std::string& v) {
  json_builder_set_member_name(b, name);
  json_builder_add_string_value(b, v.c_str());
}
void member(JsonBuilder* b, const char* name, std::int64_t v) {
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, v);
}
void member(JsonBuilder* b, const char* name, bool v) {
  json_builder_set_member_name(b, name);
  json_builder_add_boolean_value(b, v);
}

std::string finish(JsonBuilder* b);

// The fields every job starts with; the caller adds its own, then finish_job().
JsonBuilder* begin_job(const char* kind, std::uint64_t seq, const std::string& id, const std::string& call_key) {
  JsonBuilder* b = json_builder_new();
  json_builder_begin_object(b);
  member(b, "kind", std::string(kind));
  member(b, "seq", static_cast<std::int64_t>(seq));
  member(b, "id", id);
  member(b, "call_key", call_key);
  return b;
}

std::string finish_job(JsonBuilder* b, std::int64_t created_unix, unsigned attempts) {
  member(b, "created_unix", created_unix);
  member(b, "attempts", static_cast<std::int64_t>(attempts));
  json_builder_end_object(b);
  return finish(b);
}

std::string finish(JsonBuilder* b) {
  JsonNode* root = json_builder_get_root(b);
  gchar* text = json_to_string(root, FALSE);
  std::string out(text);
  g_free(text);
  json_node_unref(root);
  g_object_unref(b);
  return out;
}

// Reads a job document: the root object if `kind` matches, else nullptr with *error.
struct Doc {
  JsonParser* parser = json_parser_new();
  JsonObject* root = nullptr;
  ~Doc() { g_object_unref(parser); }
  bool load(std::string_view json, const char* kind, std::string* error) {
    GError* err = nullptr;
    if (!json_parser_load_from_data(parser, json.data(), static_cast<gssize>(json.size()), &err)) {
      if (error) *error = std::string("not JSON: ") + (err ? err->message : "?");
      g_clear_error(&err);
      return false;
    }
    JsonNode* node = json_parser_get_root(parser);
    if (!node || !JSON_NODE_HOLDS_OBJECT(node)) {
      if (error) *error = "not a JSON object";
      return false;
    }
    root = json_node_get_object(node);
    const char* k = json_object_get_string_member_with_default(root, "kind", "");
    if (std::strcmp(k, kind) != 0) {
      if (error) *error = std::string("not a ") + kind + " job";
      return false;
    }
    return true;
  }
};

std::string str(JsonObject* o, const char* name) { return json_object_get_string_member_with_default(o, name, ""); }
std::int64_t num(JsonObject* o, const char* name) { return json_object_get_int_member_with_default(o, name, 0); }

// The fields begin_job()/finish_job() wrote, common to every job.
template <typename Job>
void read_common(JsonObject* root, Job& j) {
  j.seq = static_cast<std::uint64_t>(num(root, "seq"));
  j.id = str(root, "id");
  j.call_key = str(root, "call_key");
  j.created_unix = num(root, "created_unix");
  j.attempts = static_cast<unsigned>(num(root, "attempts"));
}

bool parse_role(const std::string& s, ObjectRole& out) {
  if (s == "recording") out = ObjectRole::kRecording;
  else if (s == "transcript") out = ObjectRole::kTranscript;
  else if (s == "manifest") out = ObjectRole::kManifest;
  else return false;
  return true;
}

}  // namespace

const char* to_string(ObjectRole role) {
  switch (role) {
    case ObjectRole::kRecording: return "recording";
    case ObjectRole::kTranscript: return "transcript";
    case ObjectRole::kManifest: return "manifest";
  }
  return "recording";
}

std::string encode_job(const EventJob& job) {
  JsonBuilder* b = begin_job("event", job.seq, job.id, job.call_key);
  member(b, "type", job.type);
  member(b, "body", job.body);
  return finish_job(b, job.created_unix, job.attempts);
}

std::string encode_job(const UploadJob& job) {
  JsonBuilder* b = begin_job("upload", job.seq, job.id, job.call_key);
  member(b, "call_sid", job.call_sid);
  member(b, "bucket", job.bucket);
  member(b, "call_open", job.call_open);
  json_builder_set_member_name(b, "recording_ids");
  json_builder_begin_array(b);
  for (const auto& r : job.recording_ids) json_builder_add_string_value(b, r.c_str());
  json_builder_end_array(b);
  json_builder_set_member_name(b, "objects");
  json_builder_begin_array(b);
  for (const auto& o : job.objects) {
    json_builder_begin_object(b);
    member(b, "path", o.path);
    member(b, "key", o.key);
    member(b, "role", std::string(to_string(o.role)));
    member(b, "done", o.done);
    member(b, "etag", o.etag);
    member(b, "bytes", static_cast<std::int64_t>(o.bytes));
    if (!o.upload_id.empty()) {
      member(b, "upload_id", o.upload_id);
      member(b, "part_bytes", static_cast<std::int64_t>(o.part_bytes));
      json_builder_set_member_name(b, "part_etags");
      json_builder_begin_array(b);
      for (const auto& e : o.part_etags) json_builder_add_string_value(b, e.c_str());
      json_builder_end_array(b);
    }
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  return finish_job(b, job.created_unix, job.attempts);
}

std::optional<EventJob> decode_event_job(std::string_view json, std::string* error) {
  Doc d;
  if (!d.load(json, "event", error)) return std::nullopt;
  EventJob j;
  read_common(d.root, j);
  j.type = str(d.root, "type");
  j.body = str(d.root, "body");
  if (j.seq == 0 || j.id.empty() || j.type.empty() || j.body.empty()) {
    if (error) *error = "event job lacks seq, id, type or body";
    return std::nullopt;
  }
  return j;
}

std::optional<UploadJob> decode_upload_job(std::string_view json, std::string* error) {
  Doc d;
  if (!d.load(json, "upload", error)) return std::nullopt;
  UploadJob j;
  read_common(d.root, j);
  j.call_sid = str(d.root, "call_sid");
  j.bucket = str(d.root, "bucket");
  j.call_open = json_object_get_boolean_member_with_default(d.root, "call_open", FALSE);
  JsonArray* ids = json_object_has_member(d.root, "recording_ids") ? json_object_get_array_member(d.root, "recording_ids") : nullptr;
  if (ids)
    for (guint i = 0; i < json_array_get_length(ids); ++i)
      j.recording_ids.emplace_back(json_array_get_string_element(ids, i) ?: "");
  JsonArray* objects = json_object_has_member(d.root, "objects") ? json_object_get_array_member(d.root, "objects") : nullptr;
  for (guint i = 0; objects && i < json_array_get_length(objects); ++i) {
    JsonObject* o = json_array_get_object_element(objects, i);
    if (!o) continue;
    UploadObject obj;
    obj.path = str(o, "path");
    obj.key = str(o, "key");
    if (!parse_role(str(o, "role"), obj.role) || obj.path.empty() || obj.key.empty()) {
      if (error) *error = "upload job object lacks path, key or a known role";
      return std::nullopt;
    }
    obj.done = json_object_get_boolean_member_with_default(o, "done", FALSE);
    obj.etag = str(o, "etag");
    obj.bytes = static_cast<std::uint64_t>(num(o, "bytes"));
    obj.upload_id = str(o, "upload_id");
    obj.part_bytes = static_cast<std::uint64_t>(num(o, "part_bytes"));
    if (json_object_has_member(o, "part_etags")) {
      JsonArray* parts = json_object_get_array_member(o, "part_etags");
      for (guint p = 0; parts && p < json_array_get_length(parts); ++p)
        obj.part_etags.emplace_back(json_array_get_string_element(parts, p) ?: "");
    }
    j.objects.push_back(std::move(obj));
  }
  if (j.seq == 0 || j.id.empty() || j.bucket.empty()) {
    if (error) *error = "upload job lacks seq, id or bucket";
    return std::nullopt;
  }
  return j;
}

}  // namespace mediaflow::evidence
