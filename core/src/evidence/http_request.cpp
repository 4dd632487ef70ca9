#include <mediaflow/evidence/http_request.hpp>

#include <curl/curl.h>

#include <strings.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <cstring>
#include <mutex>

namespace mediaflow::evidence {
namespace {

constexpr std::size_t kMaxBodyKept = 64 * 1024;

struct FileRange {
  std::FILE* f = nullptr;
  std::uint64_t left = 0;
};

size_t read_range(char* buf, size_t size, size_t n, void* data) {
  auto* r = static_cast<FileRange*>(data);
  const std::uint64_t want = std::min<std::uint64_t>(r->left, size * n);
  if (want == 0) return 0;
  const size_t got = std::fread(buf, 1, static_cast<size_t>(want), r->f);
  if (got == 0) return CURL_READFUNC_ABORT;  // the file shrank under us: fail, never send short
  r->left -= got;
  return got;
}

size_t keep_body(char* data, size_t size, size_t n, void* out) {
  auto* body = static_cast<std::string*>(out);
  const size_t len = size * n;
  if (body->size() < kMaxBodyKept) body->append(data, std::min(len, kMaxBodyKept - body->size()));
  return len;
}

size_t keep_etag(char* data, size_t size, size_t n, void* out) {
  const size_t len = size * n;
  constexpr std::string_view kName = "etag:";
  if (len > kName.size() && strncasecmp(data, kName.data(), kName.size()) == 0) {
    std::string v(data + kName.size(), len - kName.size());
    const auto b = v.find_first_not_of(" \t");
    const auto e = v.find_last_not_of(" \t\r\n");
    *static_cast<std::string*>(out) = b == std::string::npos ? "" : v.substr(b, e - b + 1);
  }
  return len;
}

int check_cancel(void* data, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const std::atomic<bool>*>(data);
  return cancel->load(std::memory_order_relaxed) ? 1 : 0;
}

}  // namespace

void init_http() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpResponse perform(const HttpRequest& req) {
  init_http();
  HttpResponse res;
  CURL* curl = curl_easy_init();
  if (!curl) {
    res.error = "curl_easy_init failed";
    return res;
  }
  curl_slist* headers = nullptr;
  for (const auto& h : req.headers) headers = curl_slist_append(headers, h.c_str());
  FileRange range;
  char errbuf[CURL_ERROR_SIZE] = "";

  curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // worker threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, req.connect_timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, req.total_timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, req.stall_seconds);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &res.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, keep_etag);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &res.etag);
  if (req.cancel) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, check_cancel);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, req.cancel);
  }
  if (!req.aws_sigv4.empty()) {
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, req.aws_sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERPWD, req.userpwd.c_str());
  }
  if (!req.body_file.empty()) {
    range.f = std::fopen(req.body_file.c_str(), "rb");
    if (!range.f || fseeko(range.f, static_cast<off_t>(req.body_offset), SEEK_SET) != 0) {
      // The file name only: the folder names the call.
      res.error = "cannot read " + std::filesystem::path(req.body_file).filename().string() + ": " + std::strerror(errno);
      if (range.f) std::fclose(range.f);
      curl_slist_free_all(headers);
      curl_easy_cleanup(curl);
      return res;
    }
    range.left = req.body_length;
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_range);
    curl_easy_setopt(curl, CURLOPT_READDATA, &range);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.body_length));
    if (req.method != "PUT") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else if (req.method == "POST" || req.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    if (req.method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else if (req.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  const CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    res.transport_ok = true;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res.status);
  } else {
    res.error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  }
  if (range.f) std::fclose(range.f);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return res;
}

}  // namespace mediaflow::evidence
