// speechgate: passes only the stretches of audio that hold speech (plus pre-roll and
// hangover), so a recogniser behind it does no work while the caller is silent.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SPEECH_GATE (gst_speech_gate_get_type())
G_DECLARE_FINAL_TYPE(GstSpeechGate, gst_speech_gate, GST, SPEECH_GATE, GstElement)

GST_ELEMENT_REGISTER_DECLARE(speechgate);

G_END_DECLS
