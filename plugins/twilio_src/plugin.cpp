// The `twilio` plugin: the Twilio Media Streams transport — twiliosrc (ingest), twiliosink
// (egress), the codec of its JSON envelopes and its application webhook (POST /twilio/voice).
#include <mediaflow/plugin_api.h>

#include "twilio_codec.hpp"
#include "twilio_webhook.hpp"
#include "twiliosink.h"
#include "twiliosrc.h"

static gboolean plugin_init(GstPlugin* plugin) {
  gboolean ok = GST_ELEMENT_REGISTER(twiliosrc, plugin);
  ok &= GST_ELEMENT_REGISTER(twiliosink, plugin);
  return ok;
}

static const mediaflow::ElementDescriptor kElements[] = {
    {"twiliosrc", mediaflow::role::kIngest, "Caller audio of a Twilio Media Stream (live or replayed capture)"},
    {"twiliosink", mediaflow::role::kEgress, "Audio, marks and clears out as Twilio Media Streams messages"},
};

static const mediaflow::TransportDescriptor kTransports[] = {
    {"twilio", "WS_PATH", "/rtm/voice", nullptr, nullptr, "twiliosrc", "twiliosink", mediaflow::twilio_transport::create_codec,
     mediaflow::twilio_transport::kWebhookPath, mediaflow::twilio_transport::answer_webhook,
     nullptr /* no setting to check: without TWILIO_AUTH_TOKEN the webhook answers 503 */},
};

MEDIAFLOW_TRANSPORT_PLUGIN_DEFINE(twilio, "Twilio Media Streams in and out", plugin_init, kElements, kTransports)
