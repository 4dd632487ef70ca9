// Real speech for tests that need a recogniser to hear words: espeak-ng speaks, sox converts
// to 16 kHz S16LE mono raw (both Debian packages, scripts/install-deps.sh). Results are cached
// per process.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mediaflow::test {

// 16 kHz S16LE mono samples of espeak-ng saying `text` (espeak's own leading/trailing silence
// trimmed). Fails the current test (ADD_FAILURE) and returns empty when the tools are missing.
std::vector<std::uint8_t> spoken_s16(const std::string& text);

// `total_seconds` of 16 kHz S16LE silence with each (time, text) spoken starting at `time`
// (clipped at the end).
std::vector<std::uint8_t> speech_at(const std::vector<std::pair<double, std::string>>& placements,
                                    double total_seconds);

// Seconds of `s16` (16 kHz S16LE mono bytes).
double seconds_of_s16(const std::vector<std::uint8_t>& s16);

}  // namespace mediaflow::test
