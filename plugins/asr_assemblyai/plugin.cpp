// The assemblyai plugin: registers its elements, nothing else.
#include "gstassemblyaiasr.hpp"

#include <mediaflow/plugin_api.h>

static const mediaflow::ElementDescriptor kAssemblyAiElements[] = {
    {"assemblyaiasr", mediaflow::role::kAsr,
     "Streams call audio to AssemblyAI Universal-Streaming, posts mediaflow-transcript messages"},
};

static gboolean assemblyai_plugin_init(GstPlugin* plugin) { return GST_ELEMENT_REGISTER(assemblyaiasr, plugin); }

MEDIAFLOW_PLUGIN_DEFINE(assemblyai, "AssemblyAI speech recognition", assemblyai_plugin_init, kAssemblyAiElements)
