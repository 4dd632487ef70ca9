#include "speech_cache.hpp"

#include "espeak_synth.hpp"

#include <gst/audio/audio.h>

#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <tuple>

namespace mediaflow::offline_agent {

namespace {

using Key = std::tuple<std::string, int, int, std::string>;  // voice, wpm, rate, text

struct SpeechCache {
  std::mutex mutex;
  std::map<Key, SharedSamples> entries;
  std::deque<Key> order;  // oldest first
  // Sentences being synthesised: calls asking for one of them wait for that synthesis
  // (2,000 calls starting together greet with one synthesis, not 2,000).
  std::map<Key, std::shared_future<SpeechResult>> in_flight;
};

// Never destroyed: the synthesis pool's threads live as long as the process and may be inside
// speak() while exit() runs static destructors (ThreadSanitizer saw the map destroyed under a
// synthesis that was finishing as `mediaflow serve` exited).
SpeechCache& speech_cache() {
  static auto* c = new SpeechCache();
  return *c;
}

}  // namespace

std::vector<std::int16_t> resample(const std::vector<std::int16_t>& samples, int in_rate, int out_rate) {
  if (in_rate == out_rate || samples.empty()) return samples;
  GstStructure* options = gst_structure_new_empty("options");
  gst_audio_resampler_options_set_quality(GST_AUDIO_RESAMPLER_METHOD_KAISER, GST_AUDIO_RESAMPLER_QUALITY_DEFAULT,
                                          in_rate, out_rate, options);
  GstAudioResampler* r = gst_audio_resampler_new(GST_AUDIO_RESAMPLER_METHOD_KAISER, GST_AUDIO_RESAMPLER_FLAG_NONE,
                                                 GST_AUDIO_FORMAT_S16, 1, in_rate, out_rate, options);
  gst_structure_free(options);
  if (!r) return {};
  // Zeros after the speech flush the filter's tail; the output is cut to the same duration.
  std::vector<std::int16_t> in(samples);
  in.resize(samples.size() + gst_audio_resampler_get_max_latency(r) + 1, 0);
  std::vector<std::int16_t> out(gst_audio_resampler_get_out_frames(r, in.size()));
  gpointer in_planes[1] = {in.data()};
  gpointer out_planes[1] = {out.data()};
  gst_audio_resampler_resample(r, in_planes, in.size(), out_planes, out.size());
  gst_audio_resampler_free(r);
  out.resize(std::min<std::size_t>(out.size(), gst_util_uint64_scale_int_round(samples.size(), out_rate, in_rate)));
  return out;
}

SharedSamples cached_speech(const std::string& text, const std::string& voice, int words_per_minute, int rate) {
  SpeechCache& c = speech_cache();
  std::lock_guard lock(c.mutex);
  auto it = c.entries.find(Key{voice, words_per_minute, rate, text});
  return it == c.entries.end() ? nullptr : it->second;
}

SpeechResult speak(const std::string& text, const std::string& voice, int words_per_minute, int rate) {
  SpeechCache& c = speech_cache();
  Key key{voice, words_per_minute, rate, text};
  std::promise<SpeechResult> promise;
  {
    std::unique_lock lock(c.mutex);
    if (auto it = c.entries.find(key); it != c.entries.end()) return {it->second, {}};
    if (auto it = c.in_flight.find(key); it != c.in_flight.end()) {
      auto pending = it->second;
      lock.unlock();
      return pending.get();
    }
    c.in_flight.emplace(key, promise.get_future().share());
  }
  SpeechResult result;
  SynthResult synth = synthesize(text, voice, words_per_minute);
  if (synth.error.empty()) {
    result.samples = std::make_shared<const std::vector<std::int16_t>>(resample(synth.samples, kEspeakRate, rate));
  } else {
    result.error = synth.error;  // not cached: the next call tries again
  }
  {
    std::lock_guard lock(c.mutex);
    c.in_flight.erase(key);
    if (result.samples) {
      c.entries.emplace(key, result.samples);
      c.order.push_back(key);
      while (c.order.size() > kSpeechCacheEntries) {
        c.entries.erase(c.order.front());
        c.order.pop_front();
      }
    }
  }
  promise.set_value(result);
  return result;
}

}  // namespace mediaflow::offline_agent
