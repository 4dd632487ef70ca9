// The backlog moved to the SDK (mediaflow/vendor/audio_backlog.hpp) with the streaming-vendor
// base; this name stays for the Deepgram tests written against it.
#pragma once

#include <mediaflow/vendor/audio_backlog.hpp>

namespace mediaflow::deepgram {
using vendor::AudioBacklog;
}  // namespace mediaflow::deepgram
