#include <mediaflow/protocol/wav_header.hpp>

#include <cstring>
#include <limits>

namespace mediaflow::protocol {
namespace {

void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put_u16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
std::uint32_t get_u32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
         std::uint32_t(p[3]) << 24;
}
std::uint16_t get_u16(const std::uint8_t* p) { return std::uint16_t(p[0] | p[1] << 8); }

bool fail(std::string* error, const char* why) {
  if (error) *error = why;
  return false;
}

}  // namespace

std::array<std::uint8_t, kWavHeaderSize> make_wav_header(const WavFormat& format,
                                                        std::uint64_t data_bytes) {
  const std::uint64_t align = format.block_align() ? format.block_align() : 1;
  const std::uint64_t max_data = std::numeric_limits<std::uint32_t>::max() - (kWavHeaderSize - 8);
  if (data_bytes > max_data) data_bytes = max_data / align * align;

  std::array<std::uint8_t, kWavHeaderSize> h{};
  std::memcpy(&h[0], "RIFF", 4);
  put_u32(&h[4], static_cast<std::uint32_t>(data_bytes + kWavHeaderSize - 8));
  std::memcpy(&h[8], "WAVE", 4);
  std::memcpy(&h[12], "fmt ", 4);
  put_u32(&h[16], 16);
  put_u16(&h[20], 1);  // PCM
  put_u16(&h[22], format.channels);
  put_u32(&h[24], format.sample_rate);
  put_u32(&h[28], format.byte_rate());
  put_u16(&h[32], format.block_align());
  put_u16(&h[34], format.bits_per_sample);
  std::memcpy(&h[36], "data", 4);
  put_u32(&h[40], static_cast<std::uint32_t>(data_bytes));
  return h;
}

std::optional<WavInfo> parse_wav_header(std::span<const std::uint8_t> head, std::string* error) {
  if (head.size() < 12) return fail(error, "shorter than a RIFF header"), std::nullopt;
  if (std::memcmp(head.data(), "RIFF", 4) != 0) return fail(error, "not a RIFF file"), std::nullopt;
  if (std::memcmp(head.data() + 8, "WAVE", 4) != 0) return fail(error, "RIFF but not WAVE"), std::nullopt;

  WavInfo info;
  bool have_fmt = false;
  std::size_t pos = 12;
  while (pos + 8 <= head.size()) {
    const std::uint8_t* chunk = head.data() + pos;
    const std::uint32_t size = get_u32(chunk + 4);
    const std::size_t body = pos + 8;
    if (std::memcmp(chunk, "fmt ", 4) == 0) {
      if (size < 16) return fail(error, "fmt chunk too small"), std::nullopt;
      if (body + 16 > head.size()) return fail(error, "fmt chunk truncated"), std::nullopt;
      const std::uint8_t* f = head.data() + body;
      info.audio_format = get_u16(f);
      info.format.channels = get_u16(f + 2);
      info.format.sample_rate = get_u32(f + 4);
      info.format.bits_per_sample = get_u16(f + 14);
      if (info.format.channels == 0) return fail(error, "zero channels"), std::nullopt;
      if (info.format.sample_rate == 0) return fail(error, "zero sample rate"), std::nullopt;
      if (info.format.bits_per_sample == 0 || info.format.bits_per_sample % 8 != 0)
        return fail(error, "unsupported bits per sample"), std::nullopt;
      // block_align is 16 bits: a wider frame would read as 0 bytes (and divide by zero later).
      if (std::uint32_t(info.format.channels) * (info.format.bits_per_sample / 8u) > 0xFFFFu)
        return fail(error, "frame larger than a WAV header can describe"), std::nullopt;
      have_fmt = true;
    } else if (std::memcmp(chunk, "data", 4) == 0) {
      if (!have_fmt) return fail(error, "data chunk before fmt chunk"), std::nullopt;
      info.data_offset = body;
      info.declared_data_bytes = size;
      return info;
    }
    // Chunks are padded to an even size.
    const std::uint64_t next = std::uint64_t(body) + size + (size & 1u);
    if (next > head.size()) break;
    pos = static_cast<std::size_t>(next);
  }
  fail(error, have_fmt ? "no data chunk in the header" : "no fmt chunk in the header");
  return std::nullopt;
}

}  // namespace mediaflow::protocol
