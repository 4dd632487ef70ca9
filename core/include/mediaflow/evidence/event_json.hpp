// The JSON documents evidence produces: webhook event bodies and the uploaded manifest with
// its objects. Plain C++ (json-glib), no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::evidence {

// prefix + 32 random hex digits ("evt_3f…").
std::string random_id(std::string_view prefix);
// ISO 8601 UTC with milliseconds, from microseconds since the epoch.
std::string iso8601_utc(std::int64_t unix_us);

// {"type": type, "timestamp": ISO 8601, "data": data_json} — data_json must be a JSON object.
std::string event_body(std::string_view type, std::int64_t unix_us, std::string_view data_json);

struct StoredObject {
  std::string key;
  std::string etag;
};

// The manifest with "object": {"bucket","key","etag"} added to each `files` entry whose
// `file` is in `by_file` (file name → object), and, when given, "transcript":
// {"file": "transcript.jsonl", "object": {...}}. nullopt when the manifest is not a JSON object.
std::optional<std::string> manifest_with_objects(std::string_view manifest_json, const std::string& bucket,
                                                 const std::map<std::string, StoredObject>& by_file,
                                                 const std::optional<StoredObject>& transcript);

// ["a","b"]
std::string json_string_array(const std::vector<std::string>& values);

// Small JSON object builder for event data: {"a":"x","n":1,...} in insertion order.
class JsonFields {
 public:
  JsonFields& add(const char* name, std::string_view value);
  JsonFields& add(const char* name, std::int64_t value);
  JsonFields& add(const char* name, double value);
  JsonFields& add_raw(const char* name, std::string_view json);  // an already-encoded value
  std::string str() const;

 private:
  std::string body_;
};

}  // namespace mediaflow::evidence
