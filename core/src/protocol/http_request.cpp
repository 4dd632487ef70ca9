#include <mediaflow/protocol/http_request.hpp>

#include <algorithm>
#include <charconv>

namespace mediaflow::protocol::http {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

// RFC 9110 §5.6.2 tchar.
bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

// Field value characters: HTAB, visible ASCII, space, obs-text (RFC 9110 §5.5).
bool is_field_value_char(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls fn(element) for every element of a comma-separated list, trimmed, empty ones skipped.
template <typename Fn>
bool any_list_element(std::string_view list, Fn fn) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty() && fn(element)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const auto& h : headers)
    if (equals_ignoring_case(h.name, name)) return std::string_view(h.value);
  return std::nullopt;
}

std::size_t Request::header_count(std::string_view name) const {
  return static_cast<std::size_t>(
      std::count_if(headers.begin(), headers.end(), [&](const Header& h) { return equals_ignoring_case(h.name, name); }));
}

std::vector<std::string_view> Request::header_list(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& h : headers) {
    if (!equals_ignoring_case(h.name, name)) continue;
    any_list_element(h.value, [&](std::string_view e) {
      out.push_back(e);
      return false;
    });
  }
  return out;
}

bool Request::header_has_token(std::string_view name, std::string_view token) const {
  const auto list = header_list(name);
  return std::any_of(list.begin(), list.end(), [&](std::string_view e) { return equals_ignoring_case(e, token); });
}

RequestParser::RequestParser(Limits limits) : limits_(limits) {}

std::string_view RequestParser::leftover() const {
  if (status_ != ParseStatus::kComplete) return {};
  return std::string_view(buffer_).substr(leftover_start_);
}

ParseStatus RequestParser::fail(unsigned status, const char* reason) {
  status_ = ParseStatus::kError;
  error_status_ = status;
  error_reason_ = reason;
  buffer_.clear();
  buffer_.shrink_to_fit();
  return status_;
}

ParseStatus RequestParser::feed(std::string_view bytes) {
  if (status_ == ParseStatus::kError) return status_;
  buffer_.append(bytes);
  if (status_ == ParseStatus::kComplete) return status_;  // pipelined bytes: kept as leftover
  if (!head_complete()) {
    if (scan_head() != ParseStatus::kNeedMore || !head_complete()) return status_;
    if (parse_head() != ParseStatus::kNeedMore) return status_;
    if (check_framing() != ParseStatus::kNeedMore) return status_;
  }
  return take_body();
}

ParseStatus RequestParser::scan_head() {
  for (std::size_t i = scanned_; i < buffer_.size(); ++i) {  // from a trailing CR of the last read, if any
    const char c = buffer_[i];
    if (c == '\r') {
      // A CR must be followed by LF. When the CR is the last byte so far, its LF may still be in
      // flight: scanning resumes at the CR, so the check is made once the next byte is here
      // (moving past it would let a bare CR through whenever it ended a read — found by fuzzing).
      if (i + 1 == buffer_.size()) {
        scanned_ = i;
        if (buffer_.size() > limits_.max_head_bytes) return fail(431, "request header fields too large");
        return status_;
      }
      if (buffer_[i + 1] != '\n') return fail(400, "bare CR in the request head");
      continue;
    }
    if (c != '\n') continue;
    if (i == 0 || buffer_[i - 1] != '\r') return fail(400, "bare LF in the request head");
    const bool empty_line = i - 1 == line_start_;
    line_start_ = i + 1;
    if (!empty_line) continue;
    if (line_start_ - 2 == request_start_) {  // an empty line before the request line
      request_start_ = line_start_;
      continue;
    }
    head_end_ = i + 1;
    scanned_ = head_end_;
    if (head_end_ > limits_.max_head_bytes) return fail(431, "request header fields too large");
    return status_;
  }
  scanned_ = buffer_.size();
  if (buffer_.size() > limits_.max_head_bytes) return fail(431, "request header fields too large");
  return status_;
}

ParseStatus RequestParser::parse_head() {
  std::string_view head(buffer_.data() + request_start_, head_end_ - request_start_ - 2);  // without the blank line
  bool first = true;
  while (!head.empty()) {
    const auto eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    const ParseStatus s = first ? parse_request_line(line) : parse_header_line(line);
    if (s != ParseStatus::kNeedMore) return s;
    first = false;
    head.remove_prefix(eol + 2);
  }
  return status_;
}

ParseStatus RequestParser::parse_request_line(std::string_view line) {
  // method SP request-target SP HTTP-version: exactly two single spaces.
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(400, "malformed request line");
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return fail(400, "malformed method");
  if (target.empty() ||
      !std::all_of(target.begin(), target.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; }))
    return fail(400, "malformed request target");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
    return fail(400, "malformed HTTP version");
  if (version[5] != '1') return fail(505, "HTTP version not supported");
  request_.method = method;
  request_.target = target;
  request_.minor_version = static_cast<unsigned>(version[7] - '0');

  std::string_view path = target;
  if (path.front() != '/') {
    // absolute-form (RFC 9112 §3.2.2): a server must accept it; only the path is used.
    const auto scheme_end = path.find("://");
    if (scheme_end == std::string_view::npos || !is_token(path.substr(0, scheme_end)))
      return fail(400, "malformed request target");
    path.remove_prefix(scheme_end + 3);
    const auto slash = path.find_first_of("/?");
    path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
  }
  const auto question = path.find('?');
  request_.path = path.substr(0, question);
  if (request_.path.empty()) request_.path = "/";
  if (question != std::string_view::npos) request_.query = path.substr(question + 1);
  return status_;
}

ParseStatus RequestParser::parse_header_line(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') return fail(400, "obsolete line folding");
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return fail(400, "header line without a colon");
  const std::string_view name = line.substr(0, colon);
  if (!is_token(name)) return fail(400, "malformed header name");
  const std::string_view value = trim_ows(line.substr(colon + 1));
  if (!std::all_of(value.begin(), value.end(), [](unsigned char c) { return is_field_value_char(c); }))
    return fail(400, "control character in a header value");
  request_.headers.push_back({std::string(name), std::string(value)});
  return status_;
}

ParseStatus RequestParser::check_framing() {
  const std::size_t hosts = request_.header_count("Host");
  if (hosts > 1 || (hosts == 0 && request_.minor_version >= 1)) return fail(400, "missing or repeated Host");
  if (request_.header_count("Transfer-Encoding") > 0) return fail(411, "Transfer-Encoding is not accepted");
  // Content-Length: every occurrence and list element must be the same number (RFC 9112 §6.3).
  std::optional<std::size_t> length;
  bool bad = false;
  for (const auto& h : request_.headers) {
    if (!equals_ignoring_case(h.name, "Content-Length")) continue;
    any_list_element(h.value, [&](std::string_view e) {
      std::size_t n = 0;
      if (e.size() > 18 || !std::all_of(e.begin(), e.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        bad = true;
      } else {
        std::from_chars(e.data(), e.data() + e.size(), n);
        if (length && *length != n) bad = true;
        length = n;
      }
      return bad;
    });
    if (bad || h.value.empty()) return fail(400, "malformed Content-Length");
  }
  body_length_ = length.value_or(0);
  if (body_length_ > limits_.max_body_bytes) return fail(413, "request body too large");
  return status_;
}

ParseStatus RequestParser::take_body() {
  if (buffer_.size() - head_end_ < body_length_) return status_;
  request_.body.assign(buffer_, head_end_, body_length_);
  leftover_start_ = head_end_ + body_length_;
  status_ = ParseStatus::kComplete;
  return status_;
}

}  // namespace mediaflow::protocol::http
