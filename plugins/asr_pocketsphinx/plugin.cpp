// The offlineasr plugin: registers its elements, nothing else.
#include "gstspeechgate.hpp"
#include "gstsphinxasr.hpp"

#include <mediaflow/plugin_api.h>

static const mediaflow::ElementDescriptor kOfflineAsrElements[] = {
    {"sphinxasr", mediaflow::role::kAsr,
     "Recognises speech offline with pocketsphinx (keyword grammar or open vocabulary), posts mediaflow-transcript"},
    {"speechgate", mediaflow::role::kFilter,
     "Passes only speech (energy gate with pre-roll and hangover), so a recogniser behind it idles in silence"},
};

static gboolean offlineasr_plugin_init(GstPlugin* plugin) {
  return GST_ELEMENT_REGISTER(sphinxasr, plugin) && GST_ELEMENT_REGISTER(speechgate, plugin);
}

MEDIAFLOW_PLUGIN_DEFINE(offlineasr, "Offline speech recognition (pocketsphinx)", offlineasr_plugin_init,
                        kOfflineAsrElements)
