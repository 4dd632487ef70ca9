// The audio of a call's transport: what its ingest produces and its egress takes, decided by
// the call's first message (Twilio: 8 kHz mu-law mono per track; jambonz: 16-bit PCM at the
// call's sampleRate). Plain C++: codecs fill it in, the elements turn it into caps.
#pragma once

#include <cstdint>
#include <string>

namespace mediaflow::transport {

struct AudioFormat {
  enum class Encoding { kMulaw, kS16le };
  Encoding encoding = Encoding::kMulaw;
  int rate = 8000;
  int channels = 1;

  int bytes_per_sample() const { return encoding == Encoding::kMulaw ? 1 : 2; }
  int bytes_per_frame() const { return bytes_per_sample() * channels; }
  // Bytes of `ms` milliseconds of audio (20 ms of 8 kHz mu-law: 160).
  std::size_t bytes_for_ms(int ms) const { return std::size_t(rate) * std::size_t(bytes_per_frame()) * ms / 1000; }
  // Microseconds of audio in `bytes` (the realtime budget's unit).
  std::int64_t duration_us(std::size_t bytes) const {
    return std::int64_t(bytes) * 1000000 / (std::int64_t(rate) * bytes_per_frame());
  }
  // The byte a silent sample is made of (mu-law's zero is 0xFF).
  std::uint8_t silence_byte() const { return encoding == Encoding::kMulaw ? 0xFF : 0x00; }
  // GStreamer caps, as text (the elements parse it): "audio/x-mulaw, rate=(int)8000, channels=(int)1".
  std::string caps() const;
  // One channel of this format (an ingest emits one track of a stereo stream).
  AudioFormat mono() const { return {encoding, rate, 1}; }
  bool operator==(const AudioFormat&) const = default;
};

}  // namespace mediaflow::transport
