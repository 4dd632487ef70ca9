// The `twilio` plugin: registers twiliosrc (ingest) and twiliosink (egress).
#include <mediaflow/plugin_api.h>

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

MEDIAFLOW_PLUGIN_DEFINE(twilio, "Twilio Media Streams in and out", plugin_init, kElements)
