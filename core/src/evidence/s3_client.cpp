#include <mediaflow/evidence/s3_client.hpp>

#include <mediaflow/evidence/object_layout.hpp>
#include <mediaflow/evidence/payload_hash.hpp>

namespace mediaflow::evidence {

std::string xml_element(const std::string& xml, const std::string& tag) {
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  const auto b = xml.find(open);
  if (b == std::string::npos) return "";
  const auto e = xml.find(close, b + open.size());
  if (e == std::string::npos) return "";
  return xml.substr(b + open.size(), e - b - open.size());
}

std::string S3Result::describe() const {
  if (!transport_ok) return error_code.empty() ? "no answer" : error_code;
  std::string out = std::to_string(status);
  if (!error_code.empty()) out += " " + error_code;
  if (!error_message.empty()) out += ": " + error_message;
  return out;
}

std::string S3Client::object_url(const std::string& bucket, const std::string& key) const {
  if (!s_.endpoint_url.empty()) {  // path style: ENDPOINT/BUCKET/KEY
    std::string base = s_.endpoint_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/" + bucket + "/" + encode_key_for_path(key);
  }
  return "https://" + bucket + ".s3." + s_.region + ".amazonaws.com/" + encode_key_for_path(key);
}

S3Result S3Client::send(HttpRequest req, const std::string& payload_sha256_hex) {
  req.aws_sigv4 = "aws:amz:" + s_.region + ":s3";
  req.userpwd = s_.access_key_id + ":" + s_.secret_access_key;
  req.stall_seconds = s_.stall_seconds;
  req.cancel = s_.cancel;
  req.headers.push_back("x-amz-content-sha256: " + payload_sha256_hex);
  if (!s_.session_token.empty()) req.headers.push_back("x-amz-security-token: " + s_.session_token);
  const HttpResponse res = perform(req);
  S3Result out;
  out.transport_ok = res.transport_ok;
  out.status = res.status;
  out.etag = res.etag;
  if (!res.transport_ok) {
    out.error_code = res.error;
    return out;
  }
  // S3 may answer 200 with an <Error> body (CompleteMultipartUpload): that is a failure.
  if (res.body.find("<Error>") != std::string::npos) {
    out.error_code = xml_element(res.body, "Code");
    out.error_message = xml_element(res.body, "Message");
    if (out.error_code.empty()) out.error_code = "Error";
    if (out.status < 300) out.status = 500;  // retried like a server error, as AWS advises
  } else if (res.status >= 300) {
    out.error_code = "HTTP" + std::to_string(res.status);
  }
  if (out.etag.empty()) out.etag = xml_element(res.body, "ETag");
  out.upload_id = xml_element(res.body, "UploadId");
  return out;
}

S3Result S3Client::put_file(const std::string& bucket, const std::string& key, const std::string& path,
                            std::uint64_t bytes, const std::string& sha256_hex) {
  HttpRequest req;
  req.method = "PUT";
  req.url = object_url(bucket, key);
  req.body_file = path;
  req.body_length = bytes;
  req.headers.push_back("x-amz-checksum-sha256: " + hex_to_base64(sha256_hex));
  return send(std::move(req), sha256_hex);
}

S3Result S3Client::put_bytes(const std::string& bucket, const std::string& key, const std::string& body,
                             const std::string& content_type) {
  HttpRequest req;
  req.method = "PUT";
  req.url = object_url(bucket, key);
  req.body = body;
  const std::string sha = sha256_hex(body);
  req.headers.push_back("Content-Type: " + content_type);
  req.headers.push_back("x-amz-checksum-sha256: " + hex_to_base64(sha));
  return send(std::move(req), sha);
}

S3Result S3Client::create_multipart(const std::string& bucket, const std::string& key) {
  HttpRequest req;
  req.method = "POST";
  req.url = object_url(bucket, key) + "?uploads=";
  req.headers.push_back("Content-Type: application/octet-stream");
  return send(std::move(req), sha256_hex(""));
}

S3Result S3Client::upload_part(const std::string& bucket, const std::string& key, const std::string& upload_id,
                               unsigned part_number, const std::string& path, std::uint64_t offset,
                               std::uint64_t length, const std::string& sha256_hex) {
  HttpRequest req;
  req.method = "PUT";
  // Query parameters in sorted order: the canonical query string SigV4 signs.
  req.url = object_url(bucket, key) + "?partNumber=" + std::to_string(part_number) +
            "&uploadId=" + encode_query_value(upload_id);
  req.body_file = path;
  req.body_offset = offset;
  req.body_length = length;
  return send(std::move(req), sha256_hex);
}

S3Result S3Client::complete_multipart(const std::string& bucket, const std::string& key,
                                      const std::string& upload_id, const std::vector<std::string>& part_etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (std::size_t i = 0; i < part_etags.size(); ++i)
    xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + part_etags[i] + "</ETag></Part>";
  xml += "</CompleteMultipartUpload>";
  HttpRequest req;
  req.method = "POST";
  req.url = object_url(bucket, key) + "?uploadId=" + encode_query_value(upload_id);
  req.body = xml;
  req.headers.push_back("Content-Type: application/xml");
  return send(std::move(req), sha256_hex(xml));
}

S3Result S3Client::abort_multipart(const std::string& bucket, const std::string& key, const std::string& upload_id) {
  HttpRequest req;
  req.method = "DELETE";
  req.url = object_url(bucket, key) + "?uploadId=" + encode_query_value(upload_id);
  return send(std::move(req), sha256_hex(""));
}

}  // namespace mediaflow::evidence
