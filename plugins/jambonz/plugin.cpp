// The `jambonz` plugin: the jambonz / FreeSWITCH audio-fork transport (the `listen` verb's
// WebSocket, subprotocol audio.jambonz.org) — jambonzsrc, jambonzsink, its codec and its
// application webhook (POST /jambonz/call, answered with the listen verb).
#include <mediaflow/plugin_api.h>

#include "jambonz_codec.hpp"
#include "jambonz_webhook.hpp"
#include "jambonzsink.h"
#include "jambonzsrc.h"

static gboolean plugin_init(GstPlugin* plugin) {
  gboolean ok = GST_ELEMENT_REGISTER(jambonzsrc, plugin);
  ok &= GST_ELEMENT_REGISTER(jambonzsink, plugin);
  return ok;
}

static const mediaflow::ElementDescriptor kElements[] = {
    {"jambonzsrc", mediaflow::role::kIngest, "Caller audio of a jambonz listen call (16-bit PCM at the call's rate)"},
    {"jambonzsink", mediaflow::role::kEgress, "PCM audio, marks and killAudio out to a jambonz listen call"},
};

static const mediaflow::TransportDescriptor kTransports[] = {
    {"jambonz", "FORK_WS_PATH", "/fork", "audio.jambonz.org", "FORK_BASIC_AUTH", "jambonzsrc", "jambonzsink",
     mediaflow::jambonz_transport::create_codec, mediaflow::jambonz_transport::kWebhookPath,
     mediaflow::jambonz_transport::answer_webhook, mediaflow::jambonz_transport::check_settings},
};

MEDIAFLOW_TRANSPORT_PLUGIN_DEFINE(jambonz, "jambonz / FreeSWITCH audio fork in and out", plugin_init, kElements,
                                  kTransports)
