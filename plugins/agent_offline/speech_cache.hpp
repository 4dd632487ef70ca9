// Synthesised speech at the rate the call needs, shared by every call of the process.
// An offline agent says the same few sentences over and over (the greeting, "You said yes.",
// "You said no."), in every call: synthesising and resampling them once per process instead
// of once per call and sentence takes espeak-ng and a resampler off the per-call cost, and
// every call plays from the same immutable samples (no copy per call).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mediaflow::offline_agent {

using SharedSamples = std::shared_ptr<const std::vector<std::int16_t>>;

struct SpeechResult {
  SharedSamples samples;  // mono S16 at the requested rate; never null on success
  std::string error;      // set when synthesis failed (failures are not cached)
};

// `text` spoken with `voice` at `words_per_minute`, resampled from espeak-ng's 22050 Hz to
// `rate` (8000–48000). Cached per (voice, words per minute, rate, text): at most
// kSpeechCacheEntries sentences, the oldest forgotten first; a call asking for a sentence
// that another call is synthesising waits for that synthesis. Thread-safe.
inline constexpr std::size_t kSpeechCacheEntries = 64;
SpeechResult speak(const std::string& text, const std::string& voice, int words_per_minute, int rate);

// The cached samples of `text` (same key as speak()), or null when it is not cached yet:
// never synthesises, never waits, so a call loop can answer from the cache inline.
SharedSamples cached_speech(const std::string& text, const std::string& voice, int words_per_minute, int rate);

// `samples` (mono S16 at `in_rate`) at `out_rate`, same duration (GStreamer's audio
// resampler, Kaiser windowed sinc at the quality `audioresample` uses by default).
std::vector<std::int16_t> resample(const std::vector<std::int16_t>& samples, int in_rate, int out_rate);

}  // namespace mediaflow::offline_agent
