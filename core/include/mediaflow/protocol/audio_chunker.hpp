// Vendor audio framing: a call delivers 20 ms frames, a vendor wants messages of its own size
// (AssemblyAI: 50–1000 ms each, or it closes the session). The chunker batches the frames into
// messages of a fixed duration, whole samples each, and pads the last one with silence up to the
// vendor's minimum. pacing_delay_ns() keeps a replayed backlog from reaching the vendor faster
// than real time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace mediaflow::protocol {

class AudioChunker {
 public:
  struct Format {
    int sample_rate = 16000;
    int bytes_per_sample = 2;   // 2: S16LE, 1: mu-law
    std::uint8_t silence = 0;   // the byte of a silent sample (mu-law: 0xFF)
  };
  // Durations round up to whole samples, so a chunk is never shorter than asked.
  AudioChunker(Format format, int chunk_ms, int min_ms = 0);

  void push(std::span<const std::uint8_t> audio);
  // The next full chunk, or empty. Valid until the next push().
  std::span<const std::uint8_t> pop();
  // At the end: what is left, one chunk at a time, the last padded with silence to min_ms
  // (empty when nothing is left). Valid until the next push().
  std::span<const std::uint8_t> pop_rest();
  std::size_t chunk_bytes() const { return chunk_bytes_; }

 private:
  std::size_t chunk_bytes_, min_bytes_;
  std::uint8_t silence_;
  std::vector<std::uint8_t> buffer_;
  std::size_t read_ = 0;  // bytes of buffer_ already handed out
};

// How long to wait before sending more, when `audio_sent_ns` of audio went out in the
// `elapsed_ns` since the connection opened: never ahead of real time by more than the chunk
// about to go.
constexpr std::uint64_t pacing_delay_ns(std::uint64_t audio_sent_ns, std::uint64_t elapsed_ns) {
  return audio_sent_ns > elapsed_ns ? audio_sent_ns - elapsed_ns : 0;
}

}  // namespace mediaflow::protocol
