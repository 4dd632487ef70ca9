// The deepgram plugin: registers its elements, nothing else.
#include "gstdeepgramasr.hpp"

#include <mediaflow/plugin_api.h>

static const mediaflow::ElementDescriptor kDeepgramElements[] = {
    {"deepgramasr", mediaflow::role::kAsr,
     "Streams call audio to Deepgram live transcription, posts mediaflow-transcript messages"},
};

static gboolean deepgram_plugin_init(GstPlugin* plugin) { return GST_ELEMENT_REGISTER(deepgramasr, plugin); }

MEDIAFLOW_PLUGIN_DEFINE(deepgram, "Deepgram speech recognition", deepgram_plugin_init, kDeepgramElements)
