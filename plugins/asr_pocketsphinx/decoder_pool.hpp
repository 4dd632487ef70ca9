// A process-wide pool of pocketsphinx decoders shared by every `sphinxasr` of the process
// (plain C++ on the pocketsphinx C API, no GStreamer). A call does not own a decoder: it
// hands each stretch of speech (16 kHz S16 mono, cut by speechgate) to the pool as one job
// and gets the recognition back on a pool thread. N threads, one decoder each (created
// lazily by its thread), so the acoustic model (~7.5 MB) and the 18 M-instruction log table
// of a decoder are paid N times per process, not once per call.
//
// Settings, read once when the pool is first used:
//  - SPHINX_DECODERS: decoders = threads (default: the number of cores, 1..64);
//  - SPHINX_MAX_PENDING_SECONDS: audio (s) that may wait in the queue (default 60); beyond
//    it the oldest waiting stretch is dropped (its owner is told) instead of the queue growing.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace mediaflow::sphinx {

constexpr int kSampleRate = 16000;
constexpr double kFrameSeconds = 0.01;  // pocketsphinx -frate 100

// What a decoder is built with. Jobs with an equal config share decoders; a pool thread
// whose decoder was built otherwise rebuilds it for the job (keep these uniform).
struct DecoderConfig {
  std::string acoustic_model;
  int score_every = 2;  // pocketsphinx -ds
  bool operator==(const DecoderConfig&) const = default;
};

// A named search. `fsg` set: a keyword grammar whose words are added to the decoder from
// `dictionary_text` (CMU format lines). `fsg` empty: open vocabulary, which loads
// `full_dictionary` and `language_model` into the decoder once.
struct SearchSpec {
  std::string key;  // cache key (the grammar text and dictionary): decoders keep one search per key
  std::string fsg;
  std::string dictionary_text;
  std::string full_dictionary;
  std::string language_model;
};

struct RecognisedWord {
  std::string word;    // as in the dictionary ("yes(2)" for an alternate), fillers included
  int start_frame = 0;  // 10 ms frames from the job's first sample
  int end_frame = 0;    // inclusive
  std::int32_t log_prob = 0;  // pocketsphinx log (base 1.0001) posterior
};

struct Recognition {
  bool decoded = false;  // false: `error` says why (no decoder, bad grammar)
  std::string error;
  std::string hypothesis;
  std::int32_t score = 0;
  std::vector<RecognisedWord> words;
};

struct DecodeJob {
  std::uint64_t owner = 0;  // jobs of one owner run one at a time, in submission order
  DecoderConfig config;
  std::shared_ptr<const SearchSpec> search;  // null: no decoding (an ordering marker, e.g. EOS)
  double audio_seconds = 0;                  // what the queue's bound counts; 0 for a marker
  // Produces the 16 kHz S16 mono samples, on the pool thread (a call hands over its buffers
  // as they are; conversion and resampling are the pool's work, not the call loop's).
  std::function<std::vector<std::int16_t>()> audio;
  std::function<void(Recognition&)> done;  // on a pool thread
  std::function<void()> dropped;           // on the submitter's thread, when dropped for the bound
  double seconds() const { return audio_seconds; }
};

// The pool's queue (not thread-safe; the pool locks it): bounded by the audio waiting,
// one job per owner at a time.
class JobQueue {
 public:
  explicit JobQueue(double max_seconds) : max_seconds_(max_seconds) {}
  // Queues `job`; returns the waiting jobs dropped (oldest first) to keep the audio waiting
  // within the bound. The new job is never dropped, nor are jobs without audio (markers).
  std::vector<DecodeJob> push(DecodeJob job);
  // The oldest job whose owner has no job running; marks the owner busy.
  std::optional<DecodeJob> take();
  void finished(std::uint64_t owner) { busy_.erase(owner); }
  double pending_seconds() const { return pending_seconds_; }
  std::size_t size() const { return jobs_.size(); }

 private:
  double max_seconds_;
  double pending_seconds_ = 0;
  std::deque<DecodeJob> jobs_;
  std::set<std::uint64_t> busy_;
};

struct PoolStats {
  unsigned threads = 0;       // pool threads started (≤ configured decoders)
  unsigned decoders = 0;      // decoders alive
  unsigned max_decoders = 0;  // configured size
};

class DecoderPool {
 public:
  // The process's pool (created on first use, never destroyed: its threads outlive main's
  // static destructors safely).
  static DecoderPool& instance();
  // Never blocks on decoding: queues and returns (dropped jobs' `dropped` run here).
  void submit(DecodeJob job);
  PoolStats stats() const;
  std::uint64_t new_owner_id();

  struct Impl;

 private:
  DecoderPool();
  Impl* impl_;
};

}  // namespace mediaflow::sphinx
