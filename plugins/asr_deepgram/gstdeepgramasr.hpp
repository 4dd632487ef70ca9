// deepgramasr: streams call audio to Deepgram live transcription and posts transcripts.
#pragma once

#include <mediaflow/vendor/vendor_asr.hpp>

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_DEEPGRAM_ASR (gst_deepgram_asr_get_type())
G_DECLARE_FINAL_TYPE(GstDeepgramAsr, gst_deepgram_asr, GST, DEEPGRAM_ASR, MediaflowVendorAsr)

GST_ELEMENT_REGISTER_DECLARE(deepgramasr);

G_END_DECLS
