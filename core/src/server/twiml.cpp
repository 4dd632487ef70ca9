#include <mediaflow/server/twiml.hpp>

#include <mediaflow/protocol/jwt.hpp>

#include <glib.h>

#include <cstdlib>

namespace mediaflow::server {
namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

std::string_view strip_trailing_slashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         g_ascii_strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
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

WebhookConfig WebhookConfig::from_env() {
  WebhookConfig c;
  c.twilio_auth_token = env_or_empty("TWILIO_AUTH_TOKEN");
  c.public_base_url = env_or_empty("PUBLIC_BASE_URL");
  if (auto ws = env_or_empty("WS_PATH"); !ws.empty()) c.ws_path = ws;
  c.shared_secret = env_or_empty("MEDIA_SHARED_SECRET");
  c.static_token = env_or_empty("MEDIA_AUTH_TOKEN");
  return c;
}

std::optional<std::string> public_base(std::string_view public_base_url,
                                       std::string_view request_host) {
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

std::string stream_url(std::string_view base, std::string_view ws_path, std::string_view token) {
  base = strip_trailing_slashes(base);
  std::string url;
  if (starts_with_nocase(base, "https://")) url = "wss://" + std::string(base.substr(8));
  else if (starts_with_nocase(base, "http://")) url = "ws://" + std::string(base.substr(7));
  else if (starts_with_nocase(base, "wss://") || starts_with_nocase(base, "ws://")) url = base;
  else url = "wss://" + std::string(base);  // a bare host name
  ws_path = strip_trailing_slashes(ws_path);
  if (ws_path.empty() || ws_path.front() != '/') url += '/';
  url += ws_path;
  if (!token.empty()) {
    const std::string t(token);
    gchar* escaped = g_uri_escape_string(t.c_str(), nullptr, FALSE);
    url.append("/jwt/").append(escaped);
    g_free(escaped);
  }
  return url;
}

std::string stream_token(const WebhookConfig& config, std::int64_t now_unix) {
  if (!config.shared_secret.empty())
    return protocol::issue_hs256(config.shared_secret, now_unix, protocol::kMaxStreamTokenTtlSeconds);
  return config.static_token;
}

std::string xml_escape(std::string_view text) {
  std::string valid;
  if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) {
    gchar* fixed = g_utf8_make_valid(text.data(), static_cast<gssize>(text.size()));
    valid = fixed;
    g_free(fixed);
    text = valid;
  }
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\t': out += "&#9;"; break;
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      default:
        if (c >= 0x20) out += static_cast<char>(c);  // other C0 controls are not XML 1.0
    }
  }
  return out;
}

std::string build_twiml(std::string_view stream_url, const protocol::FormParams& params) {
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
  xml += "<Response><Connect><Stream url=\"" + xml_escape(stream_url) + "\">";
  for (std::string_view name : kForwardedParameters) {
    for (const auto& [key, value] : params) {
      if (key != name || value.empty()) continue;
      xml += "<Parameter name=\"" + xml_escape(name) + "\" value=\"" + xml_escape(value) + "\"/>";
      break;
    }
  }
  xml += "</Stream></Connect></Response>";
  return xml;
}

protocol::FormParams parse_form(std::string_view encoded) {
  protocol::FormParams out;
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

SignatureVerdict check_webhook_signature(std::string_view twilio_auth_token, std::string_view url,
                                         const protocol::FormParams& signed_params,
                                         std::optional<std::string_view> signature_header) {
  // Without the auth token nothing can be verified: refuse rather than serve unsigned callers.
  if (twilio_auth_token.empty()) return {503, "webhook_not_configured"};
  if (!signature_header || signature_header->empty()) return {403, "missing_signature"};
  if (!protocol::twilio_signature_valid(twilio_auth_token, *signature_header, url, signed_params))
    return {403, "bad_signature"};
  return {200, {}};
}

WebhookResponse handle_voice_webhook(const WebhookConfig& config, const WebhookRequest& request,
                                     std::int64_t now_unix) {
  WebhookResponse response;
  auto base = public_base(config.public_base_url, request.host);
  if (!base && config.twilio_auth_token.empty()) base = std::string();  // 503 below either way
  if (!base) {
    response.status = 500;
    response.reason = "no_public_base_url";
    return response;
  }
  auto verdict = check_webhook_signature(
      config.twilio_auth_token, webhook_url(*base, request.path, request.raw_query), request.form,
      request.signature);
  if (verdict.status != 200) {
    response.status = verdict.status;
    response.reason = verdict.reason;
    return response;
  }
  std::string token = stream_token(config, now_unix);
  if (!config.shared_secret.empty() && token.empty()) {
    response.status = 500;
    response.reason = "token_issue_failed";
    return response;
  }
  protocol::FormParams params = request.form;
  for (auto& p : parse_form(request.raw_query)) params.push_back(std::move(p));
  response.status = 200;
  response.content_type = "text/xml";
  response.body = build_twiml(stream_url(*base, config.ws_path, token), params);
  return response;
}

WebhookResponse handle_voice_webhook(const WebhookConfig& config, const WebhookRequest& request) {
  return handle_voice_webhook(config, request,
                              static_cast<std::int64_t>(g_get_real_time() / 1000000));
}

}  // namespace mediaflow::server
