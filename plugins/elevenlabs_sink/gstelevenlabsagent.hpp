// elevenlabsagent: a phone conversation with an ElevenLabs Conversational AI agent.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ELEVENLABS_AGENT (gst_elevenlabs_agent_get_type())
G_DECLARE_FINAL_TYPE(GstElevenLabsAgent, gst_elevenlabs_agent, GST, ELEVENLABS_AGENT, GstElement)

GST_ELEMENT_REGISTER_DECLARE(elevenlabsagent);

G_END_DECLS
