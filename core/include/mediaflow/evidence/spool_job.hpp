// The spool's job files: one small JSON document per pending webhook event or per call's
// upload, encoded and decoded here (plain C++ with json-glib, no I/O). A job carries
// everything needed to finish it after a restart: an event its signed-over body and id, an
// upload the objects still to store and, for a multipart upload, its UploadId and the parts
// already stored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::evidence {

struct EventJob {
  std::uint64_t seq = 0;   // spool order; events of one call are delivered in this order
  std::string id;          // webhook-id, the same on every attempt
  std::string call_key;    // groups the events of one call
  std::string type;        // call.started, call.ended, ...
  std::string body;        // the exact JSON body that is signed and sent
  std::int64_t created_unix = 0;
  unsigned attempts = 0;
};

enum class ObjectRole { kRecording, kTranscript, kManifest };

struct UploadObject {
  std::string path;  // local file
  std::string key;   // object key
  ObjectRole role = ObjectRole::kRecording;
  bool done = false;
  std::string etag;  // once stored
  std::uint64_t bytes = 0;
  // Multipart progress (empty upload_id: single PUT, or not started).
  std::string upload_id;
  std::uint64_t part_bytes = 0;
  std::vector<std::string> part_etags;  // parts 1..n stored so far
};

struct UploadJob {
  std::uint64_t seq = 0;
  std::string id;
  std::string call_key;
  std::string call_sid;
  std::string bucket;
  bool call_open = false;  // more files may join (the call is still running in this process)
  std::vector<std::string> recording_ids;
  std::vector<UploadObject> objects;
  std::int64_t created_unix = 0;
  unsigned attempts = 0;
};

std::string encode_job(const EventJob& job);
std::string encode_job(const UploadJob& job);
// nullopt with *error when the text is not a job of that kind (corrupt or foreign file).
std::optional<EventJob> decode_event_job(std::string_view json, std::string* error = nullptr);
std::optional<UploadJob> decode_upload_job(std::string_view json, std::string* error = nullptr);

const char* to_string(ObjectRole role);

}  // namespace mediaflow::evidence
