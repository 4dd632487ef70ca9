#include <mediaflow/protocol/url_query.hpp>

#include <glib.h>

namespace mediaflow::protocol {

void append_query_param(std::string& url, std::string_view name, std::string_view value) {
  const auto q = url.find('?');
  if (q == std::string::npos) url += '?';
  else if (url.back() != '?' && url.back() != '&') url += '&';
  gchar* escaped = g_uri_escape_string(std::string(value).c_str(), nullptr, FALSE);
  (url += name) += '=';
  url += escaped;
  g_free(escaped);
}

}  // namespace mediaflow::protocol
