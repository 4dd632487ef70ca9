// The custom downstream events agent elements send to `twiliosink` (docs/architecture.md,
// "Host ↔ element contracts"). Build and recognise them only through these helpers so every
// element uses the same names and fields.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <string>

namespace mediaflow::gstutil {

inline constexpr const char* kInterruptionEventName = "mediaflow-interruption";
inline constexpr const char* kMarkEventName = "mediaflow-mark";

// Out-of-band (GST_EVENT_CUSTOM_DOWNSTREAM_OOB): the caller barged in; sinks drop whatever
// audio they still hold and tell Twilio to `clear`. Field `event-id` (guint64).
GstEvent* make_interruption_event(std::uint64_t event_id);
// Serialized (GST_EVENT_CUSTOM_DOWNSTREAM): a named point in the outgoing audio; twiliosink
// sends a Twilio `mark` after the audio that preceded it. Field `name` (string).
GstEvent* make_mark_event(const std::string& name);

// True when `event` is an interruption event; `event_id` (may be null) gets its id.
bool parse_interruption_event(GstEvent* event, std::uint64_t* event_id);
// True when `event` is a mark event; `name` (may be null) gets its name.
bool parse_mark_event(GstEvent* event, std::string* name);

}  // namespace mediaflow::gstutil
