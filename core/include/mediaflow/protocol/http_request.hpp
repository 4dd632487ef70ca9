// The HTTP/1.1 request a client sends before anything else (RFC 9112): the host's own front
// end reads exactly one request per connection (every answer closes it), so this parser reads
// one request head and an optional Content-Length body, with hard limits, and keeps whatever
// followed it (a first WebSocket frame pipelined behind the upgrade request). Plain C++, no
// I/O: fed the bytes as they arrive, in any chunking.
//
// Strict on purpose — the host faces the internet and no legitimate client needs leniency:
// every line ends in CRLF (a bare LF or CR is an error), no obsolete line folding, no space
// between a header name and its colon, no control characters in values, at most one Host and
// agreeing Content-Length values. Transfer-Encoding is refused (411): nothing the host serves
// takes a streamed body.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::protocol::http {

struct Limits {
  std::size_t max_head_bytes = 16 * 1024;  // request line + headers + blank line; beyond: 431
  std::size_t max_body_bytes = 64 * 1024;  // Content-Length; beyond: 413
};

struct Header {
  std::string name;   // as sent
  std::string value;  // without surrounding whitespace
};

// Whether two header names (or tokens) are equal, ignoring ASCII case.
bool equals_ignoring_case(std::string_view a, std::string_view b);

struct Request {
  std::string method;
  std::string target;          // as on the wire
  std::string path;            // the target's path, still percent-encoded ("/" for authority-less absolute form)
  std::string query;           // after '?', without it; "" when none
  unsigned minor_version = 1;  // HTTP/1.<minor>
  std::vector<Header> headers; // in the order sent; repeated names stay separate entries
  std::string body;

  // The first value of a header (name compared ignoring case), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
  // How many times a header occurs.
  std::size_t header_count(std::string_view name) const;
  // The elements of a comma-separated header over all its occurrences, trimmed, in order
  // (Connection, Upgrade, Sec-WebSocket-Protocol).
  std::vector<std::string_view> header_list(std::string_view name) const;
  // Whether header_list(name) holds `token`, ignoring case.
  bool header_has_token(std::string_view name, std::string_view token) const;
};

enum class ParseStatus {
  kNeedMore,  // feed more bytes
  kComplete,  // request() is the request; leftover() what came after it
  kError,     // error_status() is the answer (400, 411, 413, 431, 505); nothing more is read
};

class RequestParser {
 public:
  explicit RequestParser(Limits limits = {});

  // Appends `bytes` and parses as far as they go. Once complete or failed, further bytes are
  // only kept as leftover (complete) or ignored (failed).
  ParseStatus feed(std::string_view bytes);
  ParseStatus status() const { return status_; }
  // The head (up to the blank line) has been read, the body may still be coming.
  bool head_complete() const { return head_end_ != 0; }

  const Request& request() const { return request_; }
  Request& request() { return request_; }
  // Bytes received after the end of the request (valid once complete).
  std::string_view leftover() const;

  unsigned error_status() const { return error_status_; }
  // Why, for logs and the answer's body: fixed text, never a piece of the request.
  const char* error_reason() const { return error_reason_; }

 private:
  ParseStatus fail(unsigned status, const char* reason);
  ParseStatus scan_head();
  ParseStatus parse_head();
  ParseStatus parse_request_line(std::string_view line);
  ParseStatus parse_header_line(std::string_view line);
  ParseStatus check_framing();
  ParseStatus take_body();

  Limits limits_;
  std::string buffer_;
  std::size_t scanned_ = 0;        // bytes of buffer_ already scanned for line ends
  std::size_t line_start_ = 0;     // where the line being scanned starts
  std::size_t request_start_ = 0;  // after leading empty lines (RFC 9112 §2.2 lets a server skip them)
  std::size_t head_end_ = 0;       // after the blank line; 0 = not seen yet
  std::size_t body_length_ = 0;
  std::size_t leftover_start_ = 0;
  Request request_;
  ParseStatus status_ = ParseStatus::kNeedMore;
  unsigned error_status_ = 0;
  const char* error_reason_ = "";
};

}  // namespace mediaflow::protocol::http
