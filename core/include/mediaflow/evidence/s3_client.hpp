// The S3 requests the uploader needs, signed with AWS Signature V4 by libcurl
// (CURLOPT_AWS_SIGV4). Every request carries x-amz-content-sha256 = the payload's SHA-256
// (libcurl signs it but does not add it on uploads; S3 refuses requests without it and
// rejects a body that does not match it); a single PUT also carries x-amz-checksum-sha256.
// Virtual-hosted addressing on AWS; path-style with an explicit endpoint (MinIO, R2, tests).
#pragma once

#include <mediaflow/evidence/http_request.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mediaflow::evidence {

struct S3Settings {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // optional (temporary credentials)
  std::string region = "us-east-1";
  std::string endpoint_url;   // empty = https://BUCKET.s3.REGION.amazonaws.com
  long stall_seconds = 30;
  const std::atomic<bool>* cancel = nullptr;  // see HttpRequest::cancel
};

struct S3Result {
  bool transport_ok = false;
  long status = 0;
  std::string etag;
  std::string upload_id;   // CreateMultipartUpload
  std::string error_code;  // S3's <Code> (NoSuchBucket, SignatureDoesNotMatch, ...) or transport text
  std::string error_message;
  bool ok() const { return transport_ok && status >= 200 && status < 300 && error_code.empty(); }
  // "403 SignatureDoesNotMatch: The request signature ..." / "connection refused": for logs.
  std::string describe() const;
};

class S3Client {
 public:
  explicit S3Client(S3Settings settings) : s_(std::move(settings)) {}

  // sha256_hex: of the body (the file range / the bytes).
  S3Result put_file(const std::string& bucket, const std::string& key, const std::string& path,
                    std::uint64_t bytes, const std::string& sha256_hex);
  S3Result put_bytes(const std::string& bucket, const std::string& key, const std::string& body,
                     const std::string& content_type);
  S3Result create_multipart(const std::string& bucket, const std::string& key);
  S3Result upload_part(const std::string& bucket, const std::string& key, const std::string& upload_id,
                       unsigned part_number, const std::string& path, std::uint64_t offset,
                       std::uint64_t length, const std::string& sha256_hex);
  S3Result complete_multipart(const std::string& bucket, const std::string& key, const std::string& upload_id,
                              const std::vector<std::string>& part_etags);
  S3Result abort_multipart(const std::string& bucket, const std::string& key, const std::string& upload_id);

  std::string object_url(const std::string& bucket, const std::string& key) const;

 private:
  S3Result send(HttpRequest req, const std::string& payload_sha256_hex);
  S3Settings s_;
};

// The text of the first <tag>…</tag> in an S3 XML answer ("" if absent). Plain C++.
std::string xml_element(const std::string& xml, const std::string& tag);

}  // namespace mediaflow::evidence
