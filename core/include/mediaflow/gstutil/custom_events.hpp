// The custom downstream events of a call pipeline (docs/architecture.md, "Host ↔ element
// contracts"): those agent elements send to the egress sink (interruption, mark), and the
// transport's mark echo the ingest source sends down the caller's audio to them. Build and
// recognise them only through these helpers so every element uses the same names and fields.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <string>

namespace mediaflow::gstutil {

inline constexpr const char* kInterruptionEventName = "mediaflow-interruption";
inline constexpr const char* kMarkEventName = "mediaflow-mark";
inline constexpr const char* kMarkEchoEventName = "mediaflow-mark-echo";

// Out-of-band (GST_EVENT_CUSTOM_DOWNSTREAM_OOB): the caller barged in; sinks drop whatever
// audio they still hold and tell Twilio to `clear`. Field `event-id` (guint64).
GstEvent* make_interruption_event(std::uint64_t event_id);
// Serialized (GST_EVENT_CUSTOM_DOWNSTREAM): a named point in the outgoing audio; twiliosink
// sends a Twilio `mark` after the audio that preceded it. Field `name` (string).
GstEvent* make_mark_event(const std::string& name);
// Serialized (GST_EVENT_CUSTOM_DOWNSTREAM): the far end echoed mark `name` (the audio before it
// was played, or cleared: transports do not tell the two apart); sent by the ingest source at
// that point of the caller's audio, for agents tracking what the caller heard. Field `name`.
GstEvent* make_mark_echo_event(const std::string& name);

// True when `event` is an interruption event; `event_id` (may be null) gets its id.
bool parse_interruption_event(GstEvent* event, std::uint64_t* event_id);
// True when `event` is a mark event; `name` (may be null) gets its name.
bool parse_mark_event(GstEvent* event, std::string* name);
// True when `event` is a mark echo event; `name` (may be null) gets the mark's name.
bool parse_mark_echo_event(GstEvent* event, std::string* name);

}  // namespace mediaflow::gstutil
