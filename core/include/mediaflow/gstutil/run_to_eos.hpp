// Plays a pipeline to its end on the calling thread (offline helpers: file decoding, tone
// generation, WAV writing) — never on a call's loop thread.
#pragma once

#include <gst/gst.h>

#include <string>

namespace mediaflow::gstutil {

// PLAYING, wait for EOS or the first error, then NULL. False with the error's message in
// *error ("pipeline refused to start" when it could not even start).
bool run_to_eos(GstElement* pipeline, std::string* error);

}  // namespace mediaflow::gstutil
