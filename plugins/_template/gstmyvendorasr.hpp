// myvendorasr: the template of a streaming ASR vendor element on MediaflowVendorAsr.
#pragma once

#include <mediaflow/vendor/vendor_asr.hpp>

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_MYVENDOR_ASR (gst_myvendor_asr_get_type())
G_DECLARE_FINAL_TYPE(GstMyVendorAsr, gst_myvendor_asr, GST, MYVENDOR_ASR, MediaflowVendorAsr)

GST_ELEMENT_REGISTER_DECLARE(myvendorasr);

G_END_DECLS
