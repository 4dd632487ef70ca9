// The audio a vendor connection may still need, with its call time.
//
// Bytes stay here from the moment the element receives them until the vendor *confirms* them
// with a final result covering their time (Deepgram's final Results tile the audio without
// gaps; an AssemblyAI turn confirms up to its last word). A connection that drops loses
// whatever was in flight; after reconnecting everything still held is sent again from its
// oldest byte, so no audio and no final transcript is lost or duplicated. The store is
// bounded: when it is full the oldest bytes are dropped.
//
// Memory follows what is held: the bytes live in a std::deque, whose 512-byte blocks are
// freed as confirmed audio leaves the front. (A vector compacted only when its dead prefix
// outgrew the live bytes held 2-4x the unconfirmed audio: ~16 KB per call at 8 kHz mu-law
// with a final result every second, the largest per-call allocation of transcribe-deepgram;
// docs/benchmarks.md, session 7.)
//
// Call time is the running time of the audio in the element's input, in nanoseconds. Input
// is treated as contiguous; a gap in the input's timestamps is filled with silence so that
// the vendor's time axis (which only counts bytes) stays equal to call time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace mediaflow::vendor {

class AudioBacklog {
 public:
  // `frame_bytes`: bytes per sample frame (kept aligned); `silence`: the byte value of silence
  // (0 for linear16, 0xFF for mu-law).
  AudioBacklog(std::size_t bytes_per_second, std::size_t frame_bytes, std::size_t capacity_bytes,
               std::uint8_t silence);

  // Appends audio whose first byte is at `call_time_ns`. Returns the bytes dropped from the
  // front to stay within capacity.
  std::size_t append(const std::uint8_t* data, std::size_t size, std::uint64_t call_time_ns);

  std::size_t size() const { return data_.size(); }
  std::size_t unsent() const { return size() - sent_; }
  bool empty() const { return size() == 0; }

  // Copies up to `max_bytes` (frame-aligned) of the oldest unsent audio into `out` and marks
  // it sent. Returns the call time of its first byte.
  std::uint64_t take_unsent(std::size_t max_bytes, std::vector<std::uint8_t>& out);

  // Call time of the first unsent byte (or of the end of the audio when all is sent).
  std::uint64_t unsent_time() const { return time_at(sent_); }

  // A final result covers audio up to `call_time_ns`: forget sent audio before it.
  void confirm_until(std::uint64_t call_time_ns);

  // The connection is gone: everything still held must be sent again.
  void rewind() { sent_ = 0; }

  // Forget everything (vendor unreachable for good).
  void clear();

  std::uint64_t time_at(std::size_t offset_from_front) const;

 private:
  void drop_front(std::size_t n);

  std::size_t bytes_per_second_;
  std::size_t frame_bytes_;
  std::size_t capacity_;
  std::uint8_t silence_;
  std::deque<std::uint8_t> data_;
  std::size_t sent_ = 0;  // bytes from the front already sent on the current connection
  // Time mapping: the byte at the front is `origin_offset_` bytes after `origin_time_`.
  std::uint64_t origin_time_ = 0;
  std::uint64_t origin_offset_ = 0;
};

}  // namespace mediaflow::vendor
