// Stores the objects of one call upload job: recordings and transcript first (single PUT up to
// the multipart threshold, resumable multipart above it), the manifest last — rewritten with
// each file's object first, so a manifest in the store means the set is complete. Progress
// is saved through `save` after every object and every part, so a restart resumes where the
// last process stopped instead of starting over.
#pragma once

#include <mediaflow/evidence/retry_policy.hpp>
#include <mediaflow/evidence/s3_client.hpp>
#include <mediaflow/evidence/spool_job.hpp>

#include <functional>
#include <string>

namespace mediaflow::evidence {

struct UploadSettings {
  std::uint64_t multipart_threshold_bytes = 16ull << 20;
  std::uint64_t part_bytes = 8ull << 20;
};

struct UploadResult {
  Outcome outcome = Outcome::kSuccess;
  std::string reason;  // for logs: which object, what the store said
};

// `save(job)` persists progress; `on_object_stored` counts each object stored.
UploadResult run_upload(UploadJob& job, S3Client& s3, const UploadSettings& settings,
                        const std::function<void(const UploadJob&)>& save,
                        const std::function<void()>& on_object_stored = {});

// Aborts the job's unfinished multipart uploads (permanent failure: no parts left billed).
void abort_unfinished(UploadJob& job, S3Client& s3);

}  // namespace mediaflow::evidence
