// The HTTP/1.1 request every internet client sends the host first (protocol::http::RequestParser):
// every byte is the attacker's. Fed in the chunking the first input byte chooses; properties:
// the outcome does not depend on the chunking, an error is one of the documented statuses, the
// head never exceeds its limit, and a complete request's leftover is exactly what followed it.
#include "fuzz_check.hpp"

#include <mediaflow/protocol/http_request.hpp>

#include <cstdint>
#include <string_view>

namespace http = mediaflow::protocol::http;

namespace {

http::ParseStatus feed_in_chunks(http::RequestParser& p, std::string_view bytes, std::size_t chunk) {
  http::ParseStatus s = http::ParseStatus::kNeedMore;
  for (std::size_t at = 0; at < bytes.size(); at += chunk) s = p.feed(bytes.substr(at, chunk));
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  http::RequestParser whole;
  http::RequestParser pieces;
  const http::ParseStatus a = whole.feed(bytes);
  const http::ParseStatus b = feed_in_chunks(pieces, bytes, chunk);
  FUZZ_CHECK(a == b, "the outcome depends on how the bytes arrived");
  if (a == http::ParseStatus::kError) {
    const unsigned st = whole.error_status();
    FUZZ_CHECK(st == 400 || st == 411 || st == 413 || st == 431 || st == 505, "an undocumented error status");
    FUZZ_CHECK(st == pieces.error_status(), "the error depends on the chunking");
    FUZZ_CHECK(whole.error_reason() && *whole.error_reason(), "an error without a reason");
  }
  if (a == http::ParseStatus::kComplete) {
    const http::Request& r = whole.request();
    FUZZ_CHECK(r.method == pieces.request().method && r.target == pieces.request().target, "request line differs");
    FUZZ_CHECK(r.headers.size() == pieces.request().headers.size(), "headers differ");
    FUZZ_CHECK(r.body.size() <= http::Limits{}.max_body_bytes, "a body beyond the limit");
    FUZZ_CHECK(whole.leftover() == pieces.leftover(), "the leftover depends on the chunking");
    FUZZ_CHECK(bytes.size() >= whole.leftover().size() &&
                   bytes.substr(bytes.size() - whole.leftover().size()) == whole.leftover(),
               "the leftover is not what followed the request");
    (void)r.header("Host");
    (void)r.header_list("Connection");
  }
  return 0;
}
