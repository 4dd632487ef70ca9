// The recorder plugin: registers its elements, nothing else.
#include "callrecorder.hpp"

#include <mediaflow/plugin_api.h>

namespace {

const mediaflow::ElementDescriptor kElements[] = {
    {"callrecorder", mediaflow::role::kRecorder,
     "Records caller + agent tracks to a crash-safe WAV with a manifest"},
};

gboolean plugin_init(GstPlugin* plugin) { return GST_ELEMENT_REGISTER(callrecorder, plugin); }

}  // namespace

MEDIAFLOW_PLUGIN_DEFINE(recorder, "Call recording to crash-safe WAV files", plugin_init, kElements)
