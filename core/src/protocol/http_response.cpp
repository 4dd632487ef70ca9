#include <mediaflow/protocol/http_response.hpp>

#include <cstdio>

namespace mediaflow::protocol::http {

std::string_view reason_phrase(unsigned status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 426: return "Upgrade Required";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

std::string http_date(std::time_t when) {
  std::tm tm{};
  gmtime_r(&when, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char out[40];
  std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7], tm.tm_mday,
                kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return out;
}

std::string serialize(const Response& response, std::string_view date, bool include_body) {
  std::string out;
  out.reserve(256 + response.body.size());
  out.append("HTTP/1.1 ").append(std::to_string(response.status)).append(" ");
  out.append(reason_phrase(response.status)).append("\r\n");
  out.append("Server: mediaflow\r\n");
  if (!date.empty()) out.append("Date: ").append(date).append("\r\n");
  for (const auto& h : response.headers) out.append(h.name).append(": ").append(h.value).append("\r\n");
  const bool final_answer = response.status >= 200;
  if (final_answer) {
    if (!response.content_type.empty()) out.append("Content-Type: ").append(response.content_type).append("\r\n");
    out.append("Content-Length: ").append(std::to_string(response.body.size())).append("\r\n");
    out.append("Connection: close\r\n");
  }
  out.append("\r\n");
  if (final_answer && include_body) out.append(response.body);
  return out;
}

Response json_error(unsigned status, std::string_view message) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body.append("{\"ok\":false,\"error\":\"").append(message).append("\"}");
  return r;
}

}  // namespace mediaflow::protocol::http
