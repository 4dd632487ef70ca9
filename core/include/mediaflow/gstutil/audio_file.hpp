// Any audio file GStreamer can decode → raw mono audio in a call's wire format (Twilio's 8 kHz
// mu-law, jambonz's 16-bit PCM at the call's rate).
#pragma once

#include <mediaflow/transport/audio_format.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mediaflow::gstutil {

// Runs `filesrc ! decodebin ! audioconvert ! audioresample` to `format` (its encoding and rate,
// one channel) to completion on the calling thread (needs gst_init). Returns false with `error`
// set (file missing, not audio).
bool decode_file(const std::filesystem::path& file, const transport::AudioFormat& format,
                 std::vector<std::uint8_t>& out, std::string& error);

// decode_file to 8 kHz mu-law mono (what Twilio carries).
inline bool decode_file_to_mulaw(const std::filesystem::path& file, std::vector<std::uint8_t>& mulaw,
                                 std::string& error) {
  return decode_file(file, transport::AudioFormat{}, mulaw, error);
}

}  // namespace mediaflow::gstutil
