// RIFF/WAVE headers for PCM recordings: write the canonical 44-byte PCM header, and parse
// any WAV header (extra chunks such as LIST or fact before `data`, odd chunk padding).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace mediaflow::protocol {

inline constexpr std::size_t kWavHeaderSize = 44;

struct WavFormat {
  std::uint16_t channels = 1;
  std::uint32_t sample_rate = 16000;
  std::uint16_t bits_per_sample = 16;

  std::uint16_t block_align() const { return static_cast<std::uint16_t>(channels * (bits_per_sample / 8)); }
  std::uint32_t byte_rate() const { return sample_rate * block_align(); }
};

// The 44-byte header of a PCM WAV holding `data_bytes` of samples. Sizes above what RIFF
// can express (4 GiB) are clamped to the largest whole number of frames that fits.
std::array<std::uint8_t, kWavHeaderSize> make_wav_header(const WavFormat& format,
                                                        std::uint64_t data_bytes);

struct WavInfo {
  WavFormat format;
  std::uint16_t audio_format = 0;    // 1 = PCM, 0xFFFE = extensible
  std::uint64_t data_offset = 0;     // where the samples start in the file
  std::uint32_t declared_data_bytes = 0;  // as the header says (may be 0 or stale in a crashed file)
};

// Parses the head of a WAV file (the first few KiB are enough: the `data` chunk may run past
// the end of `head`). nullopt with a reason in *error when it is not a usable WAV header.
std::optional<WavInfo> parse_wav_header(std::span<const std::uint8_t> head, std::string* error = nullptr);

}  // namespace mediaflow::protocol
