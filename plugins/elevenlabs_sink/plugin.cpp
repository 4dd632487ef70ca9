// The elevenlabs plugin: registers its elements, nothing else.
#include "gstelevenlabsagent.hpp"

#include <mediaflow/plugin_api.h>

static const mediaflow::ElementDescriptor kElevenLabsElements[] = {
    {"elevenlabsagent", mediaflow::role::kAgent,
     "Talks to an ElevenLabs Conversational AI agent: caller audio in, agent audio out, barge-in"},
};

static gboolean elevenlabs_plugin_init(GstPlugin* plugin) { return GST_ELEMENT_REGISTER(elevenlabsagent, plugin); }

MEDIAFLOW_PLUGIN_DEFINE(elevenlabs, "ElevenLabs Conversational AI agent", elevenlabs_plugin_init, kElevenLabsElements)
