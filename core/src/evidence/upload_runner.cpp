#include <mediaflow/evidence/upload_runner.hpp>

#include <mediaflow/evidence/event_json.hpp>
#include <mediaflow/evidence/payload_hash.hpp>
#include <mediaflow/evidence/spool.hpp>
#include <mediaflow/protocol/recording_io.hpp>

#include <filesystem>
#include <map>

namespace mediaflow::evidence {
namespace {

namespace fs = std::filesystem;

UploadResult failed(const UploadObject& o, const S3Result& r) {
  const Outcome c = classify(r.transport_ok, r.status);
  return {c == Outcome::kSuccess ? Outcome::kRetry : c, fs::path(o.key).filename().string() + ": " + r.describe()};
}

UploadResult local_failure(const UploadObject& o, const std::string& what) {
  // A file that vanished or cannot be read will not come back by retrying.
  return {Outcome::kPermanent, fs::path(o.path).filename().string() + ": " + what};
}

UploadResult store_multipart(UploadJob& job, UploadObject& o, S3Client& s3, const UploadSettings& st,
                             const std::function<void(const UploadJob&)>& save) {
  if (o.upload_id.empty()) {
    S3Result r = s3.create_multipart(job.bucket, o.key);
    if (!r.ok() || r.upload_id.empty()) return failed(o, r);
    o.upload_id = r.upload_id;
    o.part_bytes = st.part_bytes;
    o.part_etags.clear();
    save(job);
  }
  const std::uint64_t parts = (o.bytes + o.part_bytes - 1) / o.part_bytes;
  for (std::uint64_t i = o.part_etags.size(); i < parts; ++i) {
    const std::uint64_t offset = i * o.part_bytes;
    const std::uint64_t length = std::min(o.part_bytes, o.bytes - offset);
    auto sha = sha256_hex_of_range(o.path, offset, length);
    if (!sha) return local_failure(o, "cannot read part " + std::to_string(i + 1));
    S3Result r = s3.upload_part(job.bucket, o.key, o.upload_id, static_cast<unsigned>(i + 1), o.path, offset, length, *sha);
    if (r.status == 404 && r.error_code == "NoSuchUpload") {
      // The store forgot the upload (expired, or aborted by a lifecycle rule): start over.
      o.upload_id.clear();
      o.part_etags.clear();
      save(job);
      return {Outcome::kRetry, fs::path(o.key).filename().string() + ": multipart upload gone, restarting it"};
    }
    if (!r.ok() || r.etag.empty()) return failed(o, r);
    o.part_etags.push_back(r.etag);
    save(job);
  }
  S3Result r = s3.complete_multipart(job.bucket, o.key, o.upload_id, o.part_etags);
  if (!r.ok()) return failed(o, r);
  o.etag = r.etag;
  return {};
}

UploadResult store_file(UploadJob& job, UploadObject& o, S3Client& s3, const UploadSettings& st,
                        const std::function<void(const UploadJob&)>& save) {
  std::error_code ec;
  const auto size = fs::file_size(o.path, ec);
  if (ec) return local_failure(o, "local file missing: " + ec.message());
  if (o.upload_id.empty()) o.bytes = size;
  else if (o.bytes != size) return local_failure(o, "local file changed size during its multipart upload");
  if (o.bytes > st.multipart_threshold_bytes && o.bytes > st.part_bytes) return store_multipart(job, o, s3, st, save);
  auto sha = sha256_hex_of_range(o.path, 0, o.bytes);
  if (!sha) return local_failure(o, "cannot read the file");
  S3Result r = s3.put_file(job.bucket, o.key, o.path, o.bytes, *sha);
  if (!r.ok()) return failed(o, r);
  o.etag = r.etag;
  return {};
}

// The manifest gains the objects of the files beside it (same folder), then goes up.
UploadResult store_manifest(UploadJob& job, UploadObject& o, S3Client& s3) {
  const std::string text = read_small_file(o.path).value_or("");
  if (text.empty()) return local_failure(o, "cannot read the manifest");
  std::map<std::string, StoredObject> by_file;
  std::optional<StoredObject> transcript;
  const fs::path folder = fs::path(o.path).parent_path();
  for (const auto& other : job.objects) {
    if (!other.done || fs::path(other.path).parent_path() != folder) continue;
    if (other.role == ObjectRole::kRecording) by_file[fs::path(other.path).filename().string()] = {other.key, other.etag};
    if (other.role == ObjectRole::kTranscript) transcript = StoredObject{other.key, other.etag};
  }
  auto updated = manifest_with_objects(text, job.bucket, by_file, transcript);
  if (!updated) return local_failure(o, "the manifest is not a JSON object");
  // The local copy says the same (RECORDINGS_KEEP_LOCAL=1 keeps it; bytes equal to the object).
  std::string error;
  if (*updated != text && !protocol::write_file_atomically(o.path, *updated, &error))
    return {Outcome::kRetry, fs::path(o.path).filename().string() + ": " + error};
  S3Result r = s3.put_bytes(job.bucket, o.key, *updated, "application/json");
  if (!r.ok()) return failed(o, r);
  o.bytes = updated->size();
  o.etag = r.etag;
  return {};
}

}  // namespace

UploadResult run_upload(UploadJob& job, S3Client& s3, const UploadSettings& settings,
                        const std::function<void(const UploadJob&)>& save,
                        const std::function<void()>& on_object_stored) {
  // Manifests last: their presence in the store means everything they list is there.
  for (bool manifests : {false, true}) {
    for (auto& o : job.objects) {
      if (o.done || (o.role == ObjectRole::kManifest) != manifests) continue;
      UploadResult r = manifests ? store_manifest(job, o, s3) : store_file(job, o, s3, settings, save);
      if (r.outcome != Outcome::kSuccess) return r;
      o.done = true;
      o.upload_id.clear();
      o.part_etags.clear();
      save(job);
      if (on_object_stored) on_object_stored();
    }
  }
  return {};
}

void abort_unfinished(UploadJob& job, S3Client& s3) {
  for (auto& o : job.objects) {
    if (o.done || o.upload_id.empty()) continue;
    s3.abort_multipart(job.bucket, o.key, o.upload_id);
    o.upload_id.clear();
    o.part_etags.clear();
  }
}

}  // namespace mediaflow::evidence
