#include "espeak_synth.hpp"

#include <espeak-ng/speak_lib.h>

#include <mutex>

namespace mediaflow::offline_agent {

namespace {

std::mutex espeak_mutex;  // guards every espeak-ng call (global library state)
bool espeak_ready = false;

int collect(short* wav, int count, espeak_EVENT* events) {
  if (wav && count > 0 && events) {
    auto* out = static_cast<std::vector<std::int16_t>*>(events->user_data);
    out->insert(out->end(), wav, wav + count);
  }
  return 0;  // continue
}

}  // namespace

SynthResult synthesize(const std::string& text, const std::string& voice, int words_per_minute) {
  SynthResult result;
  std::lock_guard lock(espeak_mutex);
  if (!espeak_ready) {
    if (espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, 0) != kEspeakRate) {
      result.error = "espeak-ng could not be initialised";
      return result;
    }
    espeak_SetSynthCallback(collect);
    espeak_ready = true;
  }
  if (espeak_SetVoiceByName(voice.c_str()) != EE_OK) {
    result.error = "espeak-ng has no voice " + voice;
    return result;
  }
  espeak_SetParameter(espeakRATE, words_per_minute, 0);
  if (espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr, &result.samples) !=
      EE_OK) {
    result.error = "espeak-ng synthesis failed";
  }
  espeak_Synchronize();
  return result;
}

std::string fill_template(const std::string& templ, const std::string& heard) {
  static const std::string kField = "{text}";
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const auto at = templ.find(kField, pos);
    if (at == std::string::npos) break;
    out.append(templ, pos, at - pos).append(heard);
    pos = at + kField.size();
  }
  return out.append(templ, pos);
}

}  // namespace mediaflow::offline_agent
