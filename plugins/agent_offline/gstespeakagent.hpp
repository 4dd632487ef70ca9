// espeakagent: an offline voice agent speaking with espeak-ng, driven by the ASR's transcripts.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ESPEAK_AGENT (gst_espeak_agent_get_type())
G_DECLARE_FINAL_TYPE(GstEspeakAgent, gst_espeak_agent, GST, ESPEAK_AGENT, GstElement)

GST_ELEMENT_REGISTER_DECLARE(espeakagent);

G_END_DECLS
