// What a load-generator call says as jambonz (docs/jambonz.md; the protocol codecs are the
// project's): the subprotocol it offers, its metadata frame, its 20 ms PCM frames and its answer
// to a mark. The engine (engine.cpp) sends them; Twilio's envelopes need no such helper.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace mediaflow::bench {

inline constexpr std::string_view kJambonzSubprotocol = "audio.jambonz.org";
// After its last frame, a jambonz call waits this long at most for the last echoes before it
// closes: the host answers a close at once, without flushing what is still in its pipeline.
inline constexpr int64_t kHangUpGraceNs = 500'000'000;

// 20 ms of 16-bit mono PCM at `rate`.
constexpr size_t jambonz_frame_bytes(unsigned rate) { return size_t(rate) / 50 * 2; }

// The metadata frame of call `index` (callSid: a UUID made of the index; mixType mono), with
// `params` as the listen verb's metadata.
std::string jambonz_metadata(unsigned index, unsigned rate, std::map<std::string, std::string> params);

// mod_audio_fork's `playout` event for a `mark` command; nullopt for any other text.
std::optional<std::string> jambonz_mark_played(std::string_view command);

}  // namespace mediaflow::bench
