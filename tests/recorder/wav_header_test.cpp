#include <mediaflow/protocol/wav_header.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace {
using namespace mediaflow::protocol;

std::uint32_t u32(const std::uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | std::uint32_t(p[3]) << 24; }

TEST(RecorderWavHeader, WritesCanonicalPcmHeader) {
  const auto h = make_wav_header({2, 16000, 16}, 64000);
  EXPECT_EQ(std::memcmp(h.data(), "RIFF", 4), 0);
  EXPECT_EQ(u32(&h[4]), 64000u + 36u);
  EXPECT_EQ(std::memcmp(&h[8], "WAVEfmt ", 8), 0);
  EXPECT_EQ(u32(&h[16]), 16u);
  EXPECT_EQ(h[20] | h[21] << 8, 1);      // PCM
  EXPECT_EQ(h[22] | h[23] << 8, 2);      // channels
  EXPECT_EQ(u32(&h[24]), 16000u);
  EXPECT_EQ(u32(&h[28]), 64000u);        // byte rate
  EXPECT_EQ(h[32] | h[33] << 8, 4);      // block align
  EXPECT_EQ(h[34] | h[35] << 8, 16);
  EXPECT_EQ(std::memcmp(&h[36], "data", 4), 0);
  EXPECT_EQ(u32(&h[40]), 64000u);
}

TEST(RecorderWavHeader, ClampsSizesBeyondFourGibToWholeFrames) {
  const auto h = make_wav_header({2, 16000, 16}, 10'000'000'000ull);
  const std::uint32_t data = u32(&h[40]);
  EXPECT_EQ(data % 4, 0u);
  EXPECT_GT(data, 4'000'000'000u);
  EXPECT_EQ(u32(&h[4]), data + 36u);  // no wrap-around
}

TEST(RecorderWavHeader, RoundTripsOwnHeader) {
  const auto h = make_wav_header({1, 8000, 16}, 1234);
  auto info = parse_wav_header(h);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->format.channels, 1);
  EXPECT_EQ(info->format.sample_rate, 8000u);
  EXPECT_EQ(info->format.bits_per_sample, 16);
  EXPECT_EQ(info->audio_format, 1);
  EXPECT_EQ(info->data_offset, 44u);
  EXPECT_EQ(info->declared_data_bytes, 1234u);
}

// What sox/ffmpeg write: extra chunks (LIST with an odd size and its pad byte) before data,
// and a fmt chunk longer than 16 bytes.
TEST(RecorderWavHeader, ParsesHeaderWithExtraChunks) {
  std::vector<std::uint8_t> f;
  auto put = [&](const char* s) { f.insert(f.end(), s, s + 4); };
  auto put32 = [&](std::uint32_t v) { for (int i = 0; i < 4; ++i) f.push_back(std::uint8_t(v >> 8 * i)); };
  auto put16 = [&](std::uint16_t v) { f.push_back(std::uint8_t(v)); f.push_back(std::uint8_t(v >> 8)); };
  put("RIFF"); put32(0); put("WAVE");
  put("fmt "); put32(18); put16(1); put16(2); put32(44100); put32(44100 * 4); put16(4); put16(16); put16(0);
  put("LIST"); put32(5); f.insert(f.end(), {'I', 'N', 'F', 'O', 'x'}); f.push_back(0);  // pad
  put("data"); put32(400);
  const std::size_t data_at = f.size();
  f.resize(f.size() + 400);
  auto info = parse_wav_header(f);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->format.channels, 2);
  EXPECT_EQ(info->format.sample_rate, 44100u);
  EXPECT_EQ(info->data_offset, data_at);
  EXPECT_EQ(info->declared_data_bytes, 400u);
}

TEST(RecorderWavHeader, RejectsGarbageWithReason) {
  std::string why;
  std::vector<std::uint8_t> junk(100, 0x41);
  EXPECT_FALSE(parse_wav_header(junk, &why));
  EXPECT_EQ(why, "not a RIFF file");
  EXPECT_FALSE(parse_wav_header(std::span<const std::uint8_t>(junk.data(), 3), &why));
  EXPECT_EQ(why, "shorter than a RIFF header");

  auto h = make_wav_header({1, 16000, 16}, 0);
  h[22] = 0;  // zero channels
  EXPECT_FALSE(parse_wav_header(h, &why));
  EXPECT_EQ(why, "zero channels");

  // A frame larger than the header's 16-bit block align can say (32768 channels of 16 bits):
  // recovery would otherwise compute with a frame size of 0.
  auto wide = make_wav_header({1, 16000, 16}, 0);
  wide[22] = 0x00; wide[23] = 0x80;
  EXPECT_FALSE(parse_wav_header(wide, &why));
  EXPECT_EQ(why, "frame larger than a WAV header can describe");

  // A chunk size pointing far beyond the buffer ends the walk without reading past it.
  auto h2 = make_wav_header({1, 16000, 16}, 0);
  h2[16] = 0xff; h2[17] = 0xff; h2[18] = 0xff; h2[19] = 0x7f;
  EXPECT_FALSE(parse_wav_header(std::span<const std::uint8_t>(h2.data(), 40), &why));
}

}  // namespace
