// The offlineagent plugin: registers its elements, nothing else.
#include "gstespeakagent.hpp"

#include <mediaflow/plugin_api.h>

static const mediaflow::ElementDescriptor kOfflineAgentElements[] = {
    {"espeakagent", mediaflow::role::kAgent,
     "Offline voice agent: greets, answers final transcripts with espeak-ng speech, supports barge-in"},
};

static gboolean offlineagent_plugin_init(GstPlugin* plugin) { return GST_ELEMENT_REGISTER(espeakagent, plugin); }

MEDIAFLOW_PLUGIN_DEFINE(offlineagent, "Offline voice agent (espeak-ng)", offlineagent_plugin_init,
                        kOfflineAgentElements)
