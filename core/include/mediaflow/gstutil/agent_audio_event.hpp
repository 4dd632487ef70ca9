// `mediaflow-agent-audio`: a sticky serialized downstream event an agent element pushes on its
// src pad once it knows which audio formats the conversation runs (docs/agent-events.md,
// "Formats"). It travels with the agent's audio (tee, decoders and resamplers pass it on) to the
// `callrecorder`'s agent track, which puts it in the manifest (`agent_audio`,
// docs/recordings.md). Fields: `vendor`, `user-input-format`, `agent-output-format`,
// `sink-format`, `src-format` (strings), `input-converted`, `output-converted` (booleans).
#pragma once

#include <mediaflow/protocol/recording_manifest.hpp>

#include <gst/gst.h>

namespace mediaflow::gstutil {

inline constexpr const char* kAgentAudioEventName = "mediaflow-agent-audio";

inline GstEvent* make_agent_audio_event(const protocol::AgentAudio& a) {
  GstStructure* s = gst_structure_new(
      kAgentAudioEventName, "vendor", G_TYPE_STRING, a.vendor.c_str(), "user-input-format", G_TYPE_STRING,
      a.user_input_format.c_str(), "agent-output-format", G_TYPE_STRING, a.agent_output_format.c_str(), "sink-format",
      G_TYPE_STRING, a.sink_format.c_str(), "src-format", G_TYPE_STRING, a.src_format.c_str(), "input-converted",
      G_TYPE_BOOLEAN, gboolean(a.input_converted), "output-converted", G_TYPE_BOOLEAN, gboolean(a.output_converted),
      nullptr);
  return gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, s);
}

// True when `event` is a `mediaflow-agent-audio` event; `out` (may be null) gets its fields.
inline bool parse_agent_audio_event(GstEvent* event, protocol::AgentAudio* out) {
  if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_DOWNSTREAM_STICKY || !gst_event_has_name(event, kAgentAudioEventName))
    return false;
  if (!out) return true;
  const GstStructure* s = gst_event_get_structure(event);
  auto str = [s](const char* key) {
    const gchar* v = gst_structure_get_string(s, key);
    return std::string(v ? v : "");
  };
  gboolean in_conv = FALSE, out_conv = FALSE;
  gst_structure_get_boolean(s, "input-converted", &in_conv);
  gst_structure_get_boolean(s, "output-converted", &out_conv);
  *out = protocol::AgentAudio{str("vendor"),      str("user-input-format"), str("agent-output-format"),
                              str("sink-format"), str("src-format"),        bool(in_conv),
                              bool(out_conv)};
  return true;
}

}  // namespace mediaflow::gstutil
