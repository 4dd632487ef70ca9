// POST /twilio/voice: check the X-Twilio-Signature, then answer TwiML that connects the call
// to our media WebSocket:
//   <Response><Connect><Stream url="wss://HOST/rtm/voice/jwt/TOKEN">
//     <Parameter name="pipeline" value="…"/><Parameter name="organization_id" value="…"/>
//   </Stream></Connect></Response>
// Framework-free: the libsoup handler gathers the request into a WebhookRequest and sends back
// the WebhookResponse. See docs/security.md.
#pragma once

#include <mediaflow/protocol/twilio_signature.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mediaflow::server {

struct WebhookConfig {
  std::string twilio_auth_token;  // TWILIO_AUTH_TOKEN; unset: every webhook is refused (503)
  std::string public_base_url;    // PUBLIC_BASE_URL, e.g. https://media.example.com
  std::string ws_path = "/rtm/voice";  // WS_PATH
  std::string shared_secret;      // MEDIA_SHARED_SECRET: stream token = fresh 5-min JWT
  std::string static_token;       // MEDIA_AUTH_TOKEN: stream token when no secret is set
  static WebhookConfig from_env();
};

// Request parameters copied into <Parameter>s (reach the host as start.customParameters).
inline constexpr std::array<std::string_view, 2> kForwardedParameters = {"pipeline",
                                                                          "organization_id"};

// The origin the webhook was called on: PUBLIC_BASE_URL (trailing '/' dropped) when set, else
// https://<Host header> (TLS ends at the load balancer, so what Twilio called was https).
std::optional<std::string> public_base(std::string_view public_base_url,
                                       std::string_view request_host);

// The URL Twilio signed: public base + request path + ("?" + raw query when there is one).
std::string webhook_url(std::string_view base, std::string_view path, std::string_view raw_query);

// base (https→wss, http→ws) + WS_PATH [+ "/jwt/" + token]; the token is percent-encoded.
std::string stream_url(std::string_view base, std::string_view ws_path, std::string_view token);

// The token put in the stream URL: fresh JWT with the secret, else the static token, else "".
std::string stream_token(const WebhookConfig& config, std::int64_t now_unix);

// The TwiML document; parameter values are taken from `params` (first occurrence wins) for the
// names in kForwardedParameters, XML-escaped.
std::string build_twiml(std::string_view stream_url, const protocol::FormParams& params);

std::string xml_escape(std::string_view text);

// Parses an application/x-www-form-urlencoded string (a query or a POST body).
protocol::FormParams parse_form(std::string_view encoded);

struct SignatureVerdict {
  int status;               // 200, 403 (missing or wrong signature), 503 (no TWILIO_AUTH_TOKEN)
  std::string_view reason;  // "" | missing_signature | bad_signature | webhook_not_configured
};
SignatureVerdict check_webhook_signature(std::string_view twilio_auth_token, std::string_view url,
                                         const protocol::FormParams& signed_params,
                                         std::optional<std::string_view> signature_header);

struct WebhookRequest {
  std::string_view path;                       // e.g. /twilio/voice
  std::string_view raw_query;                  // without '?', may be empty
  std::string_view host;                       // Host header (used without PUBLIC_BASE_URL)
  protocol::FormParams form;                   // decoded POST body (empty for GET)
  std::optional<std::string_view> signature;   // X-Twilio-Signature
};
struct WebhookResponse {
  int status = 500;
  std::string content_type;  // "text/xml" on 200
  std::string body;
  std::string_view reason;   // refusal reason for the log line and auth_failures metric
};
// The whole handler: signature check, then TwiML. Parameters come from the form, then query.
WebhookResponse handle_voice_webhook(const WebhookConfig& config, const WebhookRequest& request,
                                     std::int64_t now_unix);
WebhookResponse handle_voice_webhook(const WebhookConfig& config, const WebhookRequest& request);

}  // namespace mediaflow::server
