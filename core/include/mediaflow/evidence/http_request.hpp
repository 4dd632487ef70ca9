// One blocking HTTP request through libcurl (an easy handle per request, on the evidence
// worker threads only — never on a media loop). Every request has bounded connect and stall
// timeouts; bodies come from memory or from a byte range of a file.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace mediaflow::evidence {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // used unless body_file is set
  std::string body_file;             // upload this file's [offset, offset+length)
  std::uint64_t body_offset = 0;
  std::uint64_t body_length = 0;
  std::string aws_sigv4;  // CURLOPT_AWS_SIGV4 ("aws:amz:REGION:s3"), empty = unsigned
  std::string userpwd;    // with aws_sigv4: "ACCESS_KEY:SECRET_KEY"
  long connect_timeout_seconds = 10;
  long total_timeout_seconds = 0;  // 0 = no overall limit (the stall limit still applies)
  long stall_seconds = 30;         // abort when fewer than 1 byte/s moves for this long
  const std::atomic<bool>* cancel = nullptr;  // set → the transfer is abandoned (shutdown)
};

struct HttpResponse {
  bool transport_ok = false;  // an HTTP status was received
  long status = 0;
  std::string body;  // at most 64 KiB kept
  std::string etag;  // ETag header, quotes kept as the server sent them
  std::string error;  // transport failure text (curl's), empty otherwise
};

HttpResponse perform(const HttpRequest& request);

// curl_global_init once per process (thread-safe to call repeatedly).
void init_http();

}  // namespace mediaflow::evidence
