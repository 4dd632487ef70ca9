// The Twilio transport's application webhook: POST /twilio/voice, the voice URL of a Twilio
// number. The X-Twilio-Signature is checked with TWILIO_AUTH_TOKEN over the public URL and the
// form body, then the answer is TwiML that connects the call to our Media Streams WebSocket:
//   <Response><Connect><Stream url="wss://HOST/rtm/voice/jwt/TOKEN">
//     <Parameter name="pipeline" value="…"/><Parameter name="organization_id" value="…"/>
//   </Stream></Connect></Response>
// Plain C++ (the host calls answer_webhook through the TransportDescriptor; tests and the
// twilio_signature fuzzer call it directly). See docs/security.md.
#pragma once

#include <mediaflow/transport/webhook.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace mediaflow::twilio_transport {

inline constexpr const char* kWebhookPath = "/twilio/voice";

std::string xml_escape(std::string_view text);

// The TwiML document; <Parameter>s for transport::kForwardedParameters taken from `params`
// (first non-empty occurrence wins), XML-escaped.
std::string build_twiml(std::string_view stream_url, const transport::FormParams& params);

struct SignatureVerdict {
  int status;               // 200, 403 (missing or wrong signature), 503 (no TWILIO_AUTH_TOKEN)
  std::string_view reason;  // "" | missing_signature | bad_signature | webhook_not_configured
};
SignatureVerdict check_webhook_signature(std::string_view twilio_auth_token, std::string_view url,
                                         const transport::FormParams& signed_params,
                                         std::optional<std::string_view> signature_header);

// The whole handler: TWILIO_AUTH_TOKEN from the host's settings, the signature over
// public base + path + query and the form body, then TwiML with a stream token of at most
// 5 minutes. <Parameter>s come from the form, then the query. Refusals have an empty body:
// 403 (missing_signature, bad_signature), 503 (webhook_not_configured), 500
// (no_public_base_url, token_issue_failed).
transport::WebhookAnswer answer_webhook(const transport::WebhookRequest& request,
                                        const transport::WebhookContext& context);

}  // namespace mediaflow::twilio_transport
