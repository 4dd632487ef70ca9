// The agent's audio formats against the pipeline's (issue #17 item 4): whatever the ElevenLabs
// agent announces (`ulaw_8000`, `pcm_8000|16000|22050|24000|44100|48000`), the element keeps the
// caps the pipeline links and converts inside, one AudioFormatConverter per direction per call:
//
//   caller audio (sink caps) → the agent's `user_input_audio_format`  → user_audio_chunk
//   the agent's `agent_output_audio_format` → the src caps (e.g. mu-law 8 kHz to Twilio)
//
// A converter whose two formats are equal is a passthrough: convert() is never called for it
// (the element sends / wraps the bytes it has, byte for byte, no copy). Otherwise it is
// streaming and stateful across chunks: G.711 mu-law ⇄ linear, GStreamer's GstAudioResampler
// (Kaiser, default quality) keeping its filter history between chunks (no clicks at chunk
// boundaries; its output lags its input by the filter's half-length, a few ms), and a carry
// byte for PCM chunks of odd length. Scratch buffers are reused: no allocation per chunk once
// they have grown to the largest chunk seen.
//
// Not thread-safe: each converter is used from one thread (the element's loop).
#pragma once

#include "elevenlabs_protocol.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

typedef struct _GstAudioResampler GstAudioResampler;
typedef struct _GstCaps GstCaps;

namespace mediaflow::elevenlabs {

// G.711 mu-law (ITU-T G.711, the tables every phone network uses).
std::int16_t mulaw_to_linear(std::uint8_t byte);
std::uint8_t linear_to_mulaw(std::int16_t sample);

// "audio/x-mulaw,rate=8000,channels=1" / "audio/x-raw,format=S16LE,rate=16000,channels=1,layout=interleaved".
std::string caps_string(const AudioFormat& format);
// The format of fixed caps (audio/x-mulaw 8 kHz mono, or S16LE mono at any rate); nullopt otherwise.
std::optional<AudioFormat> format_from_caps(const GstCaps* caps);
// What the src pad should carry when the agent speaks `agent` and downstream accepts `allowed`
// (a peer caps query; null: anything): the agent's own format when allowed (passthrough), else
// mu-law 8 kHz (a phone line), else S16LE at the agent's rate, else the first fixed format
// `allowed` offers. nullopt when `allowed` admits none of the formats this element can produce.
std::optional<AudioFormat> choose_output_format(const AudioFormat& agent, const GstCaps* allowed);

class AudioFormatConverter {
 public:
  AudioFormatConverter() = default;
  ~AudioFormatConverter();
  AudioFormatConverter(const AudioFormatConverter&) = delete;
  AudioFormatConverter& operator=(const AudioFormatConverter&) = delete;

  // (Re)configures; state is dropped. Returns false when the resampler cannot be made.
  bool configure(const AudioFormat& from, const AudioFormat& to);
  bool configured() const { return configured_; }
  bool passthrough() const { return configured_ && from_ == to_; }
  const AudioFormat& from() const { return from_; }
  const AudioFormat& to() const { return to_; }

  // `in` (in `from`) → bytes in `to`, valid until the next call. May be empty (the resampler
  // still holds the start of the stream, or an odd byte waits for its pair).
  std::span<const std::uint8_t> convert(std::span<const std::uint8_t> in);
  // Forgets the stream so far (barge-in: the held tail is stale).
  void reset();

 private:
  void release();

  AudioFormat from_{}, to_{};
  bool configured_ = false;
  GstAudioResampler* resampler_ = nullptr;  // only when the rates differ
  std::optional<std::uint8_t> carry_;       // the first byte of a PCM sample split across chunks
  std::vector<std::int16_t> in_samples_;
  std::vector<std::int16_t> out_samples_;
  std::vector<std::uint8_t> out_bytes_;
};

}  // namespace mediaflow::elevenlabs
