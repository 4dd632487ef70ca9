// The tts_elevenlabs plugin: registers its elements, nothing else.
#include "gstelevenlabstts.hpp"

#include <mediaflow/plugin_api.h>

static const mediaflow::ElementDescriptor kElevenLabsTtsElements[] = {
    {"elevenlabstts", mediaflow::role::kTts,
     "Speaks text through ElevenLabs streaming text-to-speech, pushes call audio with a mark after each text"},
};

static gboolean elevenlabstts_plugin_init(GstPlugin* plugin) { return GST_ELEMENT_REGISTER(elevenlabstts, plugin); }

MEDIAFLOW_PLUGIN_DEFINE(elevenlabstts, "ElevenLabs streaming text-to-speech", elevenlabstts_plugin_init,
                        kElevenLabsTtsElements)
