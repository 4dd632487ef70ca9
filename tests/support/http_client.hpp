// Blocking HTTP requests for tests (libsoup's synchronous API on the calling thread).
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace mediaflow::test {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

HttpResponse http_request(uint16_t port, const std::string& method, const std::string& path_and_query,
                          const std::map<std::string, std::string>& headers = {},
                          const std::string& body = {}, const std::string& content_type = {});

}  // namespace mediaflow::test
