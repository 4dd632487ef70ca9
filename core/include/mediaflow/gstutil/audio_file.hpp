// Any audio file GStreamer can decode → raw mu-law 8 kHz mono (what Twilio carries).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mediaflow::gstutil {

// Runs `filesrc ! decodebin ! audioconvert ! audioresample ! mulawenc` to completion on the
// calling thread (needs gst_init). Returns false with `error` set (file missing, not audio).
bool decode_file_to_mulaw(const std::filesystem::path& file, std::vector<std::uint8_t>& mulaw,
                          std::string& error);

}  // namespace mediaflow::gstutil
