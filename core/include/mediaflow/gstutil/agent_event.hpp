// The `mediaflow-agent-event` element messages (docs/agent-events.md), built the same way by
// every agent element.
#pragma once

#include <mediaflow/protocol/heard_tracker.hpp>

#include <gst/gst.h>

#include <string>

namespace mediaflow::gstutil {

inline constexpr const char* kAgentEventName = "mediaflow-agent-event";

// {vendor, kind, text}; the caller adds the kind's own fields.
GstStructure* make_agent_event(const char* vendor, const char* kind, const std::string& text);
// kind `heard`: event-id, heard-ms, sent-ms, interrupted.
GstStructure* make_heard_event(const char* vendor, const protocol::Heard& heard);

}  // namespace mediaflow::gstutil
