// Audio in and out of the call simulator: a test tone as mu-law, and what came back written
// as a PCM16 WAV. Both run a small GStreamer pipeline to completion (needs gst_init).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mediaflow::dial {

// A sine of `hz` for `seconds`, mu-law 8 kHz mono (audiotestsrc ! mulawenc).
bool make_tone_mulaw(double hz, double seconds, std::vector<uint8_t>& mulaw, std::string& error);

// Raw mu-law 8 kHz mono → PCM16 8 kHz mono WAV (appsrc ! mulawdec ! wavenc ! filesink).
bool write_mulaw_as_wav(const std::filesystem::path& file, const std::vector<uint8_t>& mulaw,
                        std::string& error);

}  // namespace mediaflow::dial
