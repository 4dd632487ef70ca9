// Elements cannot read the bus, yet some must react to other elements' messages (the ASR's
// transcripts, the host's `twilio-mark` echoes). They watch the bus of their top-level
// pipeline with a `sync-message::element` handler: gst_bus_enable_sync_message_emission()
// coexists with the host's own bus watch, and the handler runs on the posting thread.
#pragma once

#include <gst/gst.h>

namespace mediaflow::gstutil {

// The bus of the top-level bin `element` is in (its own when it has no parent), or null.
// Transfer full.
GstBus* top_level_bus(GstElement* element);

// A connected sync-message::element handler; empty (all zero) when not watching.
struct ElementMessageWatch {
  GstBus* bus = nullptr;
  gulong handler = 0;
};

// Connects `handler` (void (*)(GstBus*, GstMessage*, gpointer)) with `data` to
// sync-message::element on `element`'s top-level bus. Empty when there is no bus.
ElementMessageWatch watch_element_messages(GstElement* element, GCallback handler, gpointer data);
// Disconnects the handler, disables the sync emission again and drops the bus; leaves
// `watch` empty (a no-op on an empty one). A call already running on the posting thread may
// still be finishing: the state the handler uses needs its own guard.
void unwatch_element_messages(ElementMessageWatch& watch);

}  // namespace mediaflow::gstutil
