#include "support/http_client.hpp"

#include <libsoup/soup.h>

#include <algorithm>
#include <cctype>

namespace mediaflow::test {

HttpResponse http_request(uint16_t port, const std::string& method, const std::string& path_and_query,
                          const std::map<std::string, std::string>& headers, const std::string& body,
                          const std::string& content_type) {
  HttpResponse out;
  GMainContext* ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  SoupSession* session = soup_session_new();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + path_and_query;
  SoupMessage* msg = soup_message_new(method.c_str(), url.c_str());
  for (const auto& [k, v] : headers) soup_message_headers_replace(soup_message_get_request_headers(msg), k.c_str(), v.c_str());
  if (!body.empty() || !content_type.empty()) {
    GBytes* b = g_bytes_new(body.data(), body.size());
    soup_message_set_request_body_from_bytes(msg, content_type.empty() ? "text/plain" : content_type.c_str(), b);
    g_bytes_unref(b);
  }
  GError* err = nullptr;
  GBytes* resp = soup_session_send_and_read(session, msg, nullptr, &err);
  if (resp) {
    gsize n = 0;
    const char* d = static_cast<const char*>(g_bytes_get_data(resp, &n));
    out.body.assign(d ? d : "", n);
    g_bytes_unref(resp);
  }
  g_clear_error(&err);
  out.status = int(soup_message_get_status(msg));
  SoupMessageHeadersIter it;
  const char *name, *value;
  soup_message_headers_iter_init(&it, soup_message_get_response_headers(msg));
  while (soup_message_headers_iter_next(&it, &name, &value)) {
    std::string n(name);
    std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    out.headers[n] = value;
  }
  g_object_unref(msg);
  g_object_unref(session);
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
  return out;
}

}  // namespace mediaflow::test
