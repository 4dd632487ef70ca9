// Wake-up coalescing for a worker loop. Under load a loop would wake for nearly every frame
// (thousands of times a second), and on a VM each sleep/wake costs more than the frame's own
// work. With a minimum interval between wake-ups, a loop that woke less than that ago first
// sleeps the rest of it, then takes every frame that arrived meanwhile in one wake-up: at most
// `interval` of added latency, and only under load (a quiet loop never waits).
#pragma once

#include <glib.h>

namespace mediaflow::server {

// Installs the coalescing poll function on `context`; 0 µs leaves GLib's own poll in place.
// The interval is per thread: call from the thread that will iterate the context.
void install_coalescing_poll(GMainContext* context, unsigned interval_us);

}  // namespace mediaflow::server
