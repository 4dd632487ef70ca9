// The myvendor plugin: registers its elements, nothing else.
#include "gstmyvendorasr.hpp"

#include <mediaflow/plugin_api.h>

static const mediaflow::ElementDescriptor kMyVendorElements[] = {
    {"myvendorasr", mediaflow::role::kAsr, "Streams call audio to MyVendor, posts mediaflow-transcript messages"},
};

static gboolean myvendor_plugin_init(GstPlugin* plugin) { return GST_ELEMENT_REGISTER(myvendorasr, plugin); }

MEDIAFLOW_PLUGIN_DEFINE(myvendor, "MyVendor speech recognition (template)", myvendor_plugin_init, kMyVendorElements)
