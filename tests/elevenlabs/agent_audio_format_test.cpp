// The ElevenLabs agent's audio format conversion on its own (plugins/elevenlabs_sink/
// agent_audio_format.*): G.711 against the reference, passthrough, and streaming state — any
// chunking, odd-length PCM chunks included, gives exactly the bytes of one whole conversion.
#include "agent_audio_format.hpp"
#include "elevenlabs/tone.hpp"

#include <gst/gst.h>
#include <gtest/gtest.h>

namespace mediaflow::test {
namespace {

namespace el = mediaflow::elevenlabs;

el::AudioFormat fmt(const std::string& name) { return *el::parse_audio_format(name); }

TEST(AgentAudioFormat, MulawMatchesTheG711Reference) {
  for (int b = 0; b < 256; ++b) EXPECT_EQ(el::mulaw_to_linear(std::uint8_t(b)), mulaw_decode(std::uint8_t(b))) << b;
  for (int s = -32768; s <= 32767; s += 7) EXPECT_EQ(el::linear_to_mulaw(std::int16_t(s)), mulaw_encode(s)) << s;
}

TEST(AgentAudioFormat, SameFormatIsPassthrough) {
  el::AudioFormatConverter c;
  ASSERT_TRUE(c.configure(fmt("ulaw_8000"), fmt("ulaw_8000")));
  EXPECT_TRUE(c.passthrough());
  const std::vector<std::uint8_t> in{1, 2, 3};
  const auto out = c.convert(in);
  EXPECT_EQ(out.data(), in.data());  // the same bytes, not a copy
  ASSERT_TRUE(c.configure(fmt("ulaw_8000"), fmt("pcm_8000")));
  EXPECT_FALSE(c.passthrough());
}

class AgentAudioFormatChunks : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(AgentAudioFormatChunks, UnevenChunksGiveTheSameBytesAsOneWholeConversion) {
  gst_init(nullptr, nullptr);
  const auto [from_name, to_name] = GetParam();
  const ToneFormat from = tone_format(from_name), to = tone_format(to_name);
  const auto in = encode_tone(from, 440, 500);
  el::AudioFormatConverter whole, chunked;
  ASSERT_TRUE(whole.configure(fmt(from_name), fmt(to_name)));
  ASSERT_TRUE(chunked.configure(fmt(from_name), fmt(to_name)));
  const auto w = whole.convert(in);
  const std::vector<std::uint8_t> expected(w.begin(), w.end());
  std::vector<std::uint8_t> got;
  const std::size_t sizes[] = {1, 333, 7, 1001, 160, 2, 999};  // odd sizes split PCM samples
  std::size_t pos = 0;
  for (std::size_t k = 0; pos < in.size(); ++k) {
    const std::size_t n = std::min(sizes[k % std::size(sizes)], in.size() - pos);
    const auto out = chunked.convert({in.data() + pos, n});
    got.insert(got.end(), out.begin(), out.end());
    pos += n;
  }
  EXPECT_EQ(got, expected);  // state carried across chunks: no seam anywhere
  const auto a = analyse_tone(decode_audio(to, got), to.rate);
  EXPECT_NEAR(a.hz, 440, 440 * 0.03) << from_name << " → " << to_name;
  EXPECT_NEAR(a.ms, 500, 10);  // less only the resampler's lag
  EXPECT_GT(a.rms, 3000);
}

INSTANTIATE_TEST_SUITE_P(Formats, AgentAudioFormatChunks,
                         ::testing::Values(std::pair{"ulaw_8000", "pcm_8000"}, std::pair{"ulaw_8000", "pcm_16000"},
                                           std::pair{"ulaw_8000", "pcm_44100"}, std::pair{"pcm_16000", "ulaw_8000"},
                                           std::pair{"pcm_22050", "ulaw_8000"}, std::pair{"pcm_24000", "ulaw_8000"},
                                           std::pair{"pcm_44100", "ulaw_8000"}, std::pair{"pcm_48000", "pcm_16000"}),
                         [](const auto& info) { return std::string(info.param.first) + "_to_" + info.param.second; });

TEST(AgentAudioFormat, OutputFormatFollowsWhatDownstreamAccepts) {
  gst_init(nullptr, nullptr);
  GstCaps* mulaw = gst_caps_from_string("audio/x-mulaw,rate=8000,channels=1");
  GstCaps* raw = gst_caps_from_string("audio/x-raw,format=S16LE,rate=[8000,48000],channels=1,layout=interleaved");
  GstCaps* raw16 = gst_caps_from_string("audio/x-raw,format=S16LE,rate=16000,channels=1,layout=interleaved");
  GstCaps* none = gst_caps_from_string("audio/x-raw,format=F32LE,rate=16000,channels=1");
  EXPECT_EQ(el::choose_output_format(fmt("pcm_16000"), mulaw), fmt("ulaw_8000"));
  EXPECT_EQ(el::choose_output_format(fmt("ulaw_8000"), mulaw), fmt("ulaw_8000"));
  EXPECT_EQ(el::choose_output_format(fmt("pcm_24000"), raw), fmt("pcm_24000"));
  EXPECT_EQ(el::choose_output_format(fmt("pcm_24000"), raw16), fmt("pcm_16000"));
  EXPECT_EQ(el::choose_output_format(fmt("pcm_24000"), nullptr), fmt("pcm_24000"));
  EXPECT_FALSE(el::choose_output_format(fmt("pcm_24000"), none).has_value());
  for (auto* c : {mulaw, raw, raw16, none}) gst_caps_unref(c);
}

}  // namespace
}  // namespace mediaflow::test
