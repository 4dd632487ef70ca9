// The SDK's audio chunker (protocol/audio_chunker.hpp): batching 20 ms call frames into a
// vendor's message size, padding the last one, and the real-time pacing rule.
#include <mediaflow/protocol/audio_chunker.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace {

using mediaflow::protocol::AudioChunker;

}  // namespace

TEST(AudioChunker, BatchesTwentyMillisecondFramesIntoChunks) {
  auto chunker = AudioChunker({16000, 2, 0x00}, 100, 50);
  EXPECT_EQ(chunker.chunk_bytes(), 3200u);
  const std::vector<std::uint8_t> frame(640, 0x11);  // 20 ms
  for (int i = 0; i < 4; ++i) {
    chunker.push(frame);
    EXPECT_TRUE(chunker.pop().empty());
  }
  chunker.push(frame);
  const auto chunk = chunker.pop();
  EXPECT_EQ(chunk.size(), 3200u);
  EXPECT_TRUE(chunker.pop().empty());
  EXPECT_TRUE(chunker.pop_rest().empty());
}

// The vendor's range (AssemblyAI: 50–1000 ms) is the element's chunk-ms range now; the chunker
// itself never makes a chunk shorter than its minimum and rounds up to whole samples.
TEST(AudioChunker, ChunksAreWholeSamplesNeverUnderTheMinimum) {
  EXPECT_EQ(AudioChunker({16000, 2, 0}, 10, 50).chunk_bytes(), 1600u);
  EXPECT_EQ(AudioChunker({16000, 2, 0}, 1000, 50).chunk_bytes(), 32000u);
  EXPECT_EQ(AudioChunker({8000, 1, 0xFF}, 100, 50).chunk_bytes(), 800u);
  EXPECT_EQ(AudioChunker({8000, 1, 0xFF}, 1000, 50).chunk_bytes(), 8000u);
  // 50 ms at 22050 Hz is 1102.5 samples: rounded up, never under 50 ms.
  EXPECT_EQ(AudioChunker({22050, 2, 0}, 50, 50).chunk_bytes(), 2206u);
}

TEST(AudioChunker, PadsTheLastChunkWithSilenceTo50Ms) {
  auto mulaw = AudioChunker({8000, 1, 0xFF}, 100, 50);
  mulaw.push(std::vector<std::uint8_t>(160, 0x11));  // 20 ms
  const auto rest = mulaw.pop_rest();
  ASSERT_EQ(rest.size(), 400u);  // 50 ms
  EXPECT_EQ(rest[159], 0x11);
  EXPECT_EQ(rest[160], 0xFF);  // mu-law silence
  EXPECT_EQ(rest[399], 0xFF);
  EXPECT_TRUE(mulaw.pop_rest().empty());

  auto pcm = AudioChunker({16000, 2, 0x00}, 100, 50);
  pcm.push(std::vector<std::uint8_t>(640, 0x11));
  const auto pcm_rest = pcm.pop_rest();
  ASSERT_EQ(pcm_rest.size(), 1600u);
  EXPECT_EQ(pcm_rest[1599], 0x00);
}

TEST(AudioChunker, HandsARestLongerThanAChunkOutInChunks) {
  auto chunker = AudioChunker({8000, 1, 0xFF}, 100, 50);
  chunker.push(std::vector<std::uint8_t>(2000, 0x22));  // 250 ms, never popped
  std::vector<std::size_t> sizes;
  for (auto c = chunker.pop_rest(); !c.empty(); c = chunker.pop_rest()) sizes.push_back(c.size());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{800, 800, 400}));
  // Popping and pushing again keeps the order of the bytes.
  std::vector<std::uint8_t> ramp(1000);
  for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<std::uint8_t>(i);
  chunker.push(ramp);
  const auto first = chunker.pop();
  ASSERT_EQ(first.size(), 800u);
  EXPECT_EQ(first[799], static_cast<std::uint8_t>(799));
  chunker.push(ramp);
  const auto second = chunker.pop();
  ASSERT_EQ(second.size(), 800u);
  EXPECT_EQ(second[0], static_cast<std::uint8_t>(800));
  EXPECT_EQ(second[200], 0);
}

TEST(AudioChunker, PacesToRealTime) {
  EXPECT_EQ(mediaflow::protocol::pacing_delay_ns(0, 0), 0u);
  EXPECT_EQ(mediaflow::protocol::pacing_delay_ns(1'000'000'000, 400'000'000), 600'000'000u);
  EXPECT_EQ(mediaflow::protocol::pacing_delay_ns(1'000'000'000, 2'000'000'000), 0u);
}
