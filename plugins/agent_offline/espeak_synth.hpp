// Speech synthesis with libespeak-ng, as plain C++. espeak-ng keeps global state, so every
// synthesis in the process is serialised behind one mutex; callers run it off the call loop.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mediaflow::offline_agent {

inline constexpr int kEspeakRate = 22050;  // espeak-ng's output rate, Hz (mono S16)

struct SynthResult {
  std::vector<std::int16_t> samples;  // mono, kEspeakRate
  std::string error;                  // set when synthesis failed
};

// Speaks `text` with `voice` (e.g. "en-us") at `words_per_minute`.
SynthResult synthesize(const std::string& text, const std::string& voice, int words_per_minute);

// "You said {text}." with {text} replaced by `heard` (every occurrence).
std::string fill_template(const std::string& templ, const std::string& heard);

}  // namespace mediaflow::offline_agent
