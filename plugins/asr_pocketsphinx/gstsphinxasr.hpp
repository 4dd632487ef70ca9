// sphinxasr: offline speech recognition (CMU pocketsphinx) posting the mediaflow transcript schema.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SPHINX_ASR (gst_sphinx_asr_get_type())
G_DECLARE_FINAL_TYPE(GstSphinxAsr, gst_sphinx_asr, GST, SPHINX_ASR, GstBin)

GST_ELEMENT_REGISTER_DECLARE(sphinxasr);

G_END_DECLS
