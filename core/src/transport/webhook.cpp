#include <mediaflow/transport/webhook.hpp>

#include <glib.h>

namespace mediaflow::transport {
namespace {

std::string_view strip_trailing_slashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && g_ascii_strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

std::string form_decode(std::string_view in) {
  std::string s(in);
  for (char& c : s)
    if (c == '+') c = ' ';
  gchar* decoded = g_uri_unescape_string(s.c_str(), nullptr);
  if (decoded == nullptr) return s;  // malformed escape: keep the raw text (it is escaped later)
  std::string out(decoded);
  g_free(decoded);
  return out;
}

}  // namespace

std::optional<std::string_view> WebhookRequest::header(std::string_view name) const {
  for (const auto& h : headers)
    if (protocol::http::equals_ignoring_case(h.name, name)) return std::string_view(h.value);
  return std::nullopt;
}

FormParams parse_form(std::string_view encoded) {
  FormParams out;
  while (!encoded.empty()) {
    auto amp = encoded.find('&');
    std::string_view pair = encoded.substr(0, amp);
    encoded = amp == std::string_view::npos ? std::string_view{} : encoded.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string value = eq == std::string_view::npos ? std::string() : form_decode(pair.substr(eq + 1));
    out.emplace_back(form_decode(pair.substr(0, eq)), std::move(value));
  }
  return out;
}

std::vector<std::pair<std::string_view, std::string_view>> forwarded_parameters(const FormParams& params,
                                                                                bool skip_empty) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  for (std::string_view name : kForwardedParameters) {
    for (const auto& [key, value] : params) {
      if (key != name || (skip_empty && value.empty())) continue;
      out.emplace_back(name, value);
      break;
    }
  }
  return out;
}

std::optional<std::string> public_base(std::string_view public_base_url, std::string_view request_host) {
  if (!public_base_url.empty()) return std::string(strip_trailing_slashes(public_base_url));
  if (request_host.empty() || request_host.find_first_of("/ \t\r\n\"<>") != std::string_view::npos)
    return std::nullopt;
  return "https://" + std::string(request_host);
}

std::string webhook_url(std::string_view base, std::string_view path, std::string_view raw_query) {
  std::string url(strip_trailing_slashes(base));
  if (path.empty() || path.front() != '/') url += '/';
  url += path;
  if (!raw_query.empty()) url.append("?").append(raw_query);
  return url;
}

std::string stream_url(std::string_view base, std::string_view media_path, std::string_view token) {
  base = strip_trailing_slashes(base);
  std::string url;
  if (starts_with_nocase(base, "https://")) url = "wss://" + std::string(base.substr(8));
  else if (starts_with_nocase(base, "http://")) url = "ws://" + std::string(base.substr(7));
  else if (starts_with_nocase(base, "wss://") || starts_with_nocase(base, "ws://")) url = base;
  else url = "wss://" + std::string(base);  // a bare host name
  media_path = strip_trailing_slashes(media_path);
  if (media_path.empty() || media_path.front() != '/') url += '/';
  url += media_path;
  if (!token.empty()) {
    const std::string t(token);
    gchar* escaped = g_uri_escape_string(t.c_str(), nullptr, FALSE);
    url.append("/jwt/").append(escaped);
    g_free(escaped);
  }
  return url;
}

}  // namespace mediaflow::transport
