#include "twilio_webhook.hpp"

#include <mediaflow/protocol/jwt.hpp>
#include <mediaflow/protocol/twilio_signature.hpp>

#include <glib.h>

namespace mediaflow::twilio_transport {

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

std::string build_twiml(std::string_view stream_url, const transport::FormParams& params) {
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
  xml += "<Response><Connect><Stream url=\"" + xml_escape(stream_url) + "\">";
  for (const auto& [name, value] : transport::forwarded_parameters(params))
    xml += "<Parameter name=\"" + xml_escape(name) + "\" value=\"" + xml_escape(value) + "\"/>";
  xml += "</Stream></Connect></Response>";
  return xml;
}

SignatureVerdict check_webhook_signature(std::string_view twilio_auth_token, std::string_view url,
                                         const transport::FormParams& signed_params,
                                         std::optional<std::string_view> signature_header) {
  // Without the auth token nothing can be verified: refuse rather than serve unsigned callers.
  if (twilio_auth_token.empty()) return {503, "webhook_not_configured"};
  if (!signature_header || signature_header->empty()) return {403, "missing_signature"};
  if (!protocol::twilio_signature_valid(twilio_auth_token, *signature_header, url, signed_params))
    return {403, "bad_signature"};
  return {200, {}};
}

transport::WebhookAnswer answer_webhook(const transport::WebhookRequest& request,
                                        const transport::WebhookContext& context) {
  transport::WebhookAnswer answer;
  const std::string auth_token = context.setting ? context.setting("TWILIO_AUTH_TOKEN").value_or("") : "";
  auto base = transport::public_base(context.public_base_url, request.host);
  if (!base && auth_token.empty()) base = std::string();  // 503 below either way
  if (!base) {
    answer.reason = "no_public_base_url";
    return answer;
  }
  const transport::FormParams form = transport::parse_form(request.body);
  const SignatureVerdict verdict =
      check_webhook_signature(auth_token, transport::webhook_url(*base, request.path, request.query), form,
                              request.header("X-Twilio-Signature"));
  if (verdict.status != 200) {
    answer.status = verdict.status;
    answer.reason = verdict.reason;
    return answer;
  }
  const std::optional<std::string> token =
      context.mint_token ? context.mint_token(protocol::kMaxStreamTokenTtlSeconds) : std::string();
  if (!token) {
    answer.reason = "token_issue_failed";
    return answer;
  }
  transport::FormParams params = form;
  for (auto& p : transport::parse_form(request.query)) params.push_back(std::move(p));
  answer.status = 200;
  answer.content_type = "text/xml";
  answer.body = build_twiml(transport::stream_url(*base, context.media_path, *token), params);
  return answer;
}

}  // namespace mediaflow::twilio_transport
