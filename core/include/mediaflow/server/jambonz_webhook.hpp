// POST /jambonz/call: jambonz's application (calling) webhook, like POST /twilio/voice for
// Twilio. The Jambonz-Signature is checked with JAMBONZ_WEBHOOK_SECRET, then the answer is the
// `listen` verb that connects the call to our jambonz WebSocket (FORK_WS_PATH) with a
// short-lived token, bidirectional streaming audio at JAMBONZ_SAMPLE_RATE, and `metadata`
// carrying `pipeline` / `organization_id` from the webhook URL's query
// (e.g. https://media.example.com/jambonz/call?pipeline=agent-elevenlabs). docs/jambonz.md.
#pragma once

#include <mediaflow/server/twiml.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace mediaflow::server {

struct JambonzWebhookConfig {
  std::string webhook_secret;     // JAMBONZ_WEBHOOK_SECRET; unset: every webhook is refused (503)
  std::string public_base_url;    // PUBLIC_BASE_URL
  std::string fork_path = "/fork";  // FORK_WS_PATH (the jambonz transport's served path)
  std::uint32_t sample_rate = 16000;  // JAMBONZ_SAMPLE_RATE
  std::string shared_secret;      // MEDIA_SHARED_SECRET: token = fresh 5-min JWT
  std::string static_token;       // MEDIA_AUTH_TOKEN: token when no secret is set
};

struct JambonzWebhookRequest {
  std::string_view host;       // Host header
  std::string_view raw_query;  // the forwarded parameters
  std::string_view body;       // exactly as received: what jambonz signed
  std::string_view signature;  // Jambonz-Signature ("" when absent)
};

// 200 with the verbs (application/json), 403 on a missing or wrong signature, 503 when no
// secret is configured, 400 when the verb cannot be built (bad rate, oversized metadata).
WebhookResponse handle_jambonz_call(const JambonzWebhookConfig& config, const JambonzWebhookRequest& request,
                                    std::int64_t now_unix);

}  // namespace mediaflow::server
