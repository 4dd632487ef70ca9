// Audio in and out of the call simulator, in a call's wire format (mono: Twilio's 8 kHz mu-law,
// jambonz's 16-bit PCM at the call's rate): a test tone, what came back written as a PCM16 WAV,
// and a stereo stream made of the caller's track. Tone and WAV run a small GStreamer pipeline to
// completion (needs gst_init).
#pragma once

#include <mediaflow/transport/audio_format.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mediaflow::dial {

// A sine of `hz` for `seconds` (audiotestsrc), one channel of `format`.
bool make_tone(double hz, double seconds, const transport::AudioFormat& format, std::vector<uint8_t>& out,
               std::string& error);

// One channel of `format` → PCM16 WAV at its rate (appsrc [! mulawdec] ! wavenc ! filesink).
bool write_as_wav(const std::filesystem::path& file, const std::vector<uint8_t>& audio,
                  const transport::AudioFormat& format, std::string& error);

// Two interleaved channels of `bytes_per_sample`: `caller` on channel 0, silence (zero) on 1
// (a stereo jambonz call whose called party says nothing).
std::vector<uint8_t> caller_on_left(const std::vector<uint8_t>& caller, size_t bytes_per_sample);

}  // namespace mediaflow::dial
