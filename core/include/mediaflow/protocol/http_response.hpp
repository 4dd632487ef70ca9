// The host's HTTP answers on the wire. Every answer but 101 ends its connection: it carries
// `Connection: close` and a Content-Length, and the front end closes after writing it, so no
// keep-alive connection can be left behind. Plain C++, tested directly.
#pragma once

#include <mediaflow/protocol/http_request.hpp>

#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::protocol::http {

struct Response {
  unsigned status = 200;
  std::string content_type;     // omitted when empty
  std::string body;
  std::vector<Header> headers;  // extra headers (Sec-WebSocket-Accept, Sec-WebSocket-Version…)
};

// The standard reason phrase, or "Unknown".
std::string_view reason_phrase(unsigned status);

// An IMF-fixdate (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::time_t when);

// Status line, `Server: mediaflow`, `Date`, the extra headers, then for every final status
// Content-Type, Content-Length and `Connection: close`; the body unless `include_body` is false
// (an answer to HEAD). A 1xx answer carries only its extra headers.
std::string serialize(const Response& response, std::string_view date, bool include_body = true);

// A JSON error answer in the shape the host's routes use: {"ok":false,"error":"<message>"}.
// `message` is fixed text chosen by the code (it is not escaped).
Response json_error(unsigned status, std::string_view message);

}  // namespace mediaflow::protocol::http
