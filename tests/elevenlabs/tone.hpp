// Tones in any ElevenLabs agent format and what a test can say about received audio: its
// length and its frequency (zero crossings) and level. Mu-law is encoded with the test's own
// reference (support/mulaw.hpp) and decoded with the G.711 formula, independently of the code
// under test.
#pragma once

#include "support/mulaw.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace mediaflow::test {

struct ToneFormat {
  bool mulaw = true;
  int rate = 8000;
  int bytes_per_sample() const { return mulaw ? 1 : 2; }
};

inline ToneFormat tone_format(const std::string& name) {  // "ulaw_8000", "pcm_16000", …
  ToneFormat f;
  f.mulaw = name.rfind("ulaw", 0) == 0;
  f.rate = std::atoi(name.c_str() + name.find('_') + 1);
  return f;
}

inline std::vector<std::int16_t> tone_samples(int rate, double hz, unsigned ms, double amplitude = 8000) {
  std::vector<std::int16_t> out(std::size_t(rate) * ms / 1000);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = std::int16_t(std::lround(amplitude * std::sin(2 * M_PI * hz * double(i) / rate)));
  return out;
}

inline std::vector<std::uint8_t> encode_tone(const ToneFormat& f, double hz, unsigned ms) {
  const auto s = tone_samples(f.rate, hz, ms);
  std::vector<std::uint8_t> out;
  for (auto v : s) {
    if (f.mulaw) {
      out.push_back(mulaw_encode(v));
    } else {
      out.push_back(std::uint8_t(v & 0xFF));
      out.push_back(std::uint8_t((v >> 8) & 0xFF));
    }
  }
  return out;
}

inline std::int16_t mulaw_decode(std::uint8_t byte) {
  const int u = ~byte & 0xFF;
  const int t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4);
  return std::int16_t((u & 0x80) ? (0x84 - t) : (t - 0x84));
}

inline std::vector<std::int16_t> decode_audio(const ToneFormat& f, const std::vector<std::uint8_t>& bytes) {
  std::vector<std::int16_t> out;
  if (f.mulaw) {
    for (auto b : bytes) out.push_back(mulaw_decode(b));
  } else {
    for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) out.push_back(std::int16_t(bytes[i] | (bytes[i + 1] << 8)));
  }
  return out;
}

struct ToneAnalysis {
  double ms = 0;   // length of the audio
  double hz = 0;   // from zero crossings, over the middle (edges skipped: resampler ramps)
  double rms = 0;  // over the same span
};

inline ToneAnalysis analyse_tone(const std::vector<std::int16_t>& s, int rate) {
  ToneAnalysis a;
  a.ms = 1000.0 * double(s.size()) / rate;
  const std::size_t edge = std::size_t(rate) / 50;  // 20 ms each side
  if (s.size() <= 2 * edge + 1) return a;
  std::size_t crossings = 0;
  double energy = 0;
  for (std::size_t i = edge; i < s.size() - edge; ++i) {
    if ((s[i - 1] < 0) != (s[i] < 0)) ++crossings;
    energy += double(s[i]) * s[i];
  }
  const double span_s = double(s.size() - 2 * edge) / rate;
  a.hz = crossings / 2.0 / span_s;
  a.rms = std::sqrt(energy / double(s.size() - 2 * edge));
  return a;
}

}  // namespace mediaflow::test
