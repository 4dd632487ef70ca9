#include <mediaflow/evidence/event_json.hpp>

#include <mediaflow/protocol/recording_manifest.hpp>

#include <glib.h>
#include <json-glib/json-glib.h>

#include <charconv>
#include <chrono>

namespace mediaflow::evidence {
namespace {

std::string quoted(std::string_view s) {
  JsonNode* n = json_node_new(JSON_NODE_VALUE);
  json_node_set_string(n, std::string(s).c_str());
  gchar* text = json_to_string(n, FALSE);
  std::string out(text);
  g_free(text);
  json_node_unref(n);
  return out;
}

JsonNode* object_node(const std::string& bucket, const StoredObject& o) {
  JsonObject* obj = json_object_new();
  json_object_set_string_member(obj, "bucket", bucket.c_str());
  json_object_set_string_member(obj, "key", o.key.c_str());
  json_object_set_string_member(obj, "etag", o.etag.c_str());
  JsonNode* n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, obj);
  return n;
}

}  // namespace

std::string random_id(std::string_view prefix) {
  std::string out(prefix);
  static const char* hex = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) {
    const guint32 r = g_random_int();
    for (int j = 0; j < 4; ++j) out.push_back(hex[(r >> (j * 8)) & 15]);
  }
  return out;
}

std::string iso8601_utc(std::int64_t unix_us) {
  return protocol::format_iso8601_utc(std::chrono::system_clock::time_point(std::chrono::microseconds(unix_us)));
}

std::string event_body(std::string_view type, std::int64_t unix_us, std::string_view data_json) {
  return JsonFields().add("type", type).add("timestamp", iso8601_utc(unix_us)).add_raw("data", data_json).str();
}

std::optional<std::string> manifest_with_objects(std::string_view manifest_json, const std::string& bucket,
                                                 const std::map<std::string, StoredObject>& by_file,
                                                 const std::optional<StoredObject>& transcript) {
  JsonParser* p = json_parser_new();
  if (!json_parser_load_from_data(p, manifest_json.data(), static_cast<gssize>(manifest_json.size()), nullptr) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
    g_object_unref(p);
    return std::nullopt;
  }
  JsonNode* root = json_parser_get_root(p);
  JsonObject* m = json_node_get_object(root);
  if (json_object_has_member(m, "files") && JSON_NODE_HOLDS_ARRAY(json_object_get_member(m, "files"))) {
    JsonArray* files = json_object_get_array_member(m, "files");
    for (guint i = 0; i < json_array_get_length(files); ++i) {
      JsonNode* fn = json_array_get_element(files, i);
      if (!JSON_NODE_HOLDS_OBJECT(fn)) continue;
      JsonObject* f = json_node_get_object(fn);
      auto it = by_file.find(json_object_get_string_member_with_default(f, "file", ""));
      if (it != by_file.end()) json_object_set_member(f, "object", object_node(bucket, it->second));
    }
  }
  if (transcript) {
    JsonObject* t = json_object_new();
    json_object_set_string_member(t, "file", "transcript.jsonl");
    json_object_set_member(t, "object", object_node(bucket, *transcript));
    json_object_set_object_member(m, "transcript", t);
  }
  std::string out = protocol::manifest_text(root);
  g_object_unref(p);
  return out;
}

std::string json_string_array(const std::vector<std::string>& values) {
  std::string out = "[";
  for (const auto& v : values) out += (out.size() > 1 ? "," : "") + quoted(v);
  return out + "]";
}

JsonFields& JsonFields::add(const char* name, std::string_view value) { return add_raw(name, quoted(value)); }

JsonFields& JsonFields::add(const char* name, std::int64_t value) { return add_raw(name, std::to_string(value)); }

JsonFields& JsonFields::add(const char* name, double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return add_raw(name, ec == std::errc() ? std::string_view(buf, end - buf) : std::string_view("0"));
}

JsonFields& JsonFields::add_raw(const char* name, std::string_view json) {
  body_ += body_.empty() ? "{" : ",";
  body_ += quoted(name);
  body_ += ':';
  body_ += json;
  return *this;
}

std::string JsonFields::str() const { return body_.empty() ? "{}" : body_ + "}"; }

}  // namespace mediaflow::evidence
