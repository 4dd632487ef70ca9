#include <mediaflow/evidence/evidence_config.hpp>

#include <mediaflow/env.hpp>
#include <mediaflow/evidence/standard_webhooks.hpp>

#include <stdexcept>

namespace mediaflow::evidence {

EvidenceConfig EvidenceConfig::from_env(const std::filesystem::path& recordings_dir) {
  EvidenceConfig c;
  if (const char* url = env::value("RECORDINGS_BUCKET")) {
    std::string error;
    auto loc = parse_bucket_url(url, &error);
    if (!loc) throw std::invalid_argument("RECORDINGS_BUCKET: " + error);
    c.bucket = *loc;
    env::string("AWS_ACCESS_KEY_ID", c.s3.access_key_id);
    env::string("AWS_SECRET_ACCESS_KEY", c.s3.secret_access_key);
    env::string("AWS_SESSION_TOKEN", c.s3.session_token);
    if (c.s3.access_key_id.empty() || c.s3.secret_access_key.empty())
      throw std::invalid_argument("RECORDINGS_BUCKET: needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    env::string("AWS_DEFAULT_REGION", c.s3.region);
    env::string("AWS_REGION", c.s3.region);  // the SDKs' order: AWS_REGION wins
    env::string("AWS_ENDPOINT_URL", c.s3.endpoint_url);
    env::string("AWS_ENDPOINT_URL_S3", c.s3.endpoint_url);
    if (!c.s3.endpoint_url.empty() && !c.s3.endpoint_url.starts_with("http://") &&
        !c.s3.endpoint_url.starts_with("https://"))
      throw std::invalid_argument("AWS_ENDPOINT_URL_S3/AWS_ENDPOINT_URL: expected http:// or https://");
  }
  c.keep_local = env::flag("RECORDINGS_KEEP_LOCAL", false);
  // S3 refuses parts under 5 MiB (all but the last) and allows at most 10000 of them.
  constexpr unsigned long kMinPart = 5ul << 20, kMaxPart = 5ul << 30;
  c.part_bytes = env::number("RECORDINGS_MULTIPART_PART_BYTES", c.part_bytes, kMaxPart);
  if (c.part_bytes < kMinPart)
    throw std::invalid_argument("RECORDINGS_MULTIPART_PART_BYTES: S3 needs at least 5242880 (5 MiB)");
  c.multipart_threshold_bytes =
      env::number("RECORDINGS_MULTIPART_THRESHOLD_BYTES", c.multipart_threshold_bytes, 5ul << 30);

  if (const char* url = env::value("EVENTS_WEBHOOK_URL")) {
    c.webhook_url = url;
    if (!c.webhook_url.starts_with("http://") && !c.webhook_url.starts_with("https://"))
      throw std::invalid_argument("EVENTS_WEBHOOK_URL: expected http:// or https://");
    env::string("EVENTS_WEBHOOK_SECRET", c.webhook_secret);
    std::string error;
    if (c.webhook_secret.empty())
      throw std::invalid_argument("EVENTS_WEBHOOK_SECRET: required with EVENTS_WEBHOOK_URL (whsec_<base64>)");
    if (!decode_webhook_secret(c.webhook_secret, &error))
      throw std::invalid_argument("EVENTS_WEBHOOK_SECRET: " + error);  // the value itself is never echoed
  }
  c.include_transcripts = env::flag("EVENTS_INCLUDE_TRANSCRIPTS", false);
  c.spool_dir = recordings_dir / ".spool";
  if (const char* v = env::value("SPOOL_DIR")) c.spool_dir = v;
  c.retry_max_seconds = static_cast<double>(env::number("EVIDENCE_RETRY_MAX_SECONDS", 300, 86400));
  if (c.retry_max_seconds < 1) c.retry_max_seconds = 1;
  return c;
}

}  // namespace mediaflow::evidence
