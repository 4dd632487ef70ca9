// The jambonz transport's application webhook: POST /jambonz/call, jambonz's calling webhook
// (as POST /twilio/voice is Twilio's). The Jambonz-Signature is checked with
// JAMBONZ_WEBHOOK_SECRET, then the answer is the `listen` verb that connects the call to our
// jambonz WebSocket (FORK_WS_PATH) with a short-lived token, bidirectional streaming audio at
// JAMBONZ_SAMPLE_RATE [16000], and `metadata` carrying `pipeline` / `organization_id` from the
// webhook URL's query (e.g. https://media.example.com/jambonz/call?pipeline=agent-elevenlabs).
// Plain C++: the host calls answer_webhook through the TransportDescriptor. docs/jambonz.md.
#pragma once

#include <mediaflow/transport/webhook.hpp>

namespace mediaflow::jambonz_transport {

inline constexpr const char* kWebhookPath = "/jambonz/call";

// 200 with the verbs (application/json); 403 on a missing, wrong or stale signature; 503 when
// no secret is configured; 400 when there is no public base or the verb cannot be built (bad
// rate, oversized metadata); 500 when JAMBONZ_SAMPLE_RATE is not a number or no token could be
// issued. Refusals carry a one-line text body.
transport::WebhookAnswer answer_webhook(const transport::WebhookRequest& request,
                                        const transport::WebhookContext& context);

// At the host's start: JAMBONZ_SAMPLE_RATE, when set, must be a rate the listen verb can ask
// for (8000, 16000, 24000, 48000, 64000); "" when it is, else why not.
std::string check_settings(const transport::SettingLookup& setting);

}  // namespace mediaflow::jambonz_transport
