// elevenlabstts: text in, call audio out, through ElevenLabs streaming text-to-speech
// (`stream-input`).
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ELEVENLABS_TTS (gst_elevenlabs_tts_get_type())
G_DECLARE_FINAL_TYPE(GstElevenLabsTts, gst_elevenlabs_tts, GST, ELEVENLABS_TTS, GstElement)

GST_ELEMENT_REGISTER_DECLARE(elevenlabstts);

G_END_DECLS
