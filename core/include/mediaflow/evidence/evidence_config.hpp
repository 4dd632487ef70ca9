// Evidence settings from the environment (README "Environment"): uploads to S3-compatible
// storage, call-event webhooks, the spool. Both features are off unless configured.
#pragma once

#include <mediaflow/evidence/object_layout.hpp>
#include <mediaflow/evidence/s3_client.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace mediaflow::evidence {

struct EvidenceConfig {
  // Uploads: RECORDINGS_BUCKET (empty bucket = off) + the AWS_* variables.
  BucketLocation bucket;
  S3Settings s3;
  bool keep_local = false;                                // RECORDINGS_KEEP_LOCAL=1
  std::uint64_t multipart_threshold_bytes = 16ull << 20;  // RECORDINGS_MULTIPART_THRESHOLD_BYTES
  std::uint64_t part_bytes = 8ull << 20;                  // RECORDINGS_MULTIPART_PART_BYTES (>= 5 MiB)
  // Webhooks: EVENTS_WEBHOOK_URL (empty = off), EVENTS_WEBHOOK_SECRET (whsec_…).
  std::string webhook_url;
  std::string webhook_secret;
  bool include_transcripts = false;  // EVENTS_INCLUDE_TRANSCRIPTS=1 (transcripts are PHI)
  long webhook_timeout_seconds = 15;
  // SPOOL_DIR (default RECORDINGS_DIR/.spool).
  std::filesystem::path spool_dir;
  // Retry backoff: 1 s doubling up to EVIDENCE_RETRY_MAX_SECONDS (default 300).
  double retry_initial_seconds = 1.0;
  double retry_max_seconds = 300.0;

  bool uploads_enabled() const { return !bucket.bucket.empty(); }
  bool events_enabled() const { return !webhook_url.empty(); }
  bool enabled() const { return uploads_enabled() || events_enabled(); }

  // Throws std::invalid_argument naming the variable on a bad or incomplete value.
  static EvidenceConfig from_env(const std::filesystem::path& recordings_dir);
};

}  // namespace mediaflow::evidence
