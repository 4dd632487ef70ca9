// assemblyaiasr: streams call audio to AssemblyAI Universal-Streaming (v3) and posts transcripts.
#pragma once

#include <mediaflow/vendor/vendor_asr.hpp>

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ASSEMBLYAI_ASR (gst_assemblyai_asr_get_type())
G_DECLARE_FINAL_TYPE(GstAssemblyAiAsr, gst_assemblyai_asr, GST, ASSEMBLYAI_ASR, MediaflowVendorAsr)

GST_ELEMENT_REGISTER_DECLARE(assemblyaiasr);

G_END_DECLS
