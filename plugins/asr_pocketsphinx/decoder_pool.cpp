#include "decoder_pool.hpp"

#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/fsg_model.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

namespace mediaflow::sphinx {

std::vector<DecodeJob> JobQueue::push(DecodeJob job) {
  std::vector<DecodeJob> dropped;
  const double incoming = job.seconds();
  for (auto it = jobs_.begin(); pending_seconds_ + incoming > max_seconds_ && it != jobs_.end();) {
    if (it->audio_seconds <= 0) {
      ++it;
      continue;
    }
    pending_seconds_ -= it->seconds();
    dropped.push_back(std::move(*it));
    it = jobs_.erase(it);
  }
  pending_seconds_ = std::max(0.0, pending_seconds_) + incoming;
  jobs_.push_back(std::move(job));
  return dropped;
}

std::optional<DecodeJob> JobQueue::take() {
  for (auto it = jobs_.begin(); it != jobs_.end(); ++it) {
    if (busy_.count(it->owner)) continue;
    DecodeJob job = std::move(*it);
    jobs_.erase(it);
    pending_seconds_ = std::max(0.0, pending_seconds_ - job.seconds());
    busy_.insert(job.owner);
    return job;
  }
  return std::nullopt;
}

namespace {

unsigned env_unsigned(const char* name, unsigned fallback, unsigned lo, unsigned hi) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const unsigned long n = std::strtoul(v, &end, 10);
  if (*end || n < lo || n > hi) return fallback;
  return static_cast<unsigned>(n);
}

// One pool thread's decoder and the searches it holds.
class Decoder {
 public:
  ~Decoder() { reset(); }

  Recognition decode(const DecodeJob& job) {
    Recognition r;
    if (!ensure(job.config, &r.error) || !select(*job.search, &r.error)) return r;
    r.decoded = true;
    const std::vector<std::int16_t> samples = job.audio ? job.audio() : std::vector<std::int16_t>{};
    if (samples.empty()) return r;
    if (ps_start_utt(ps_) < 0) {
      r.decoded = false;
      r.error = "cannot start an utterance";
      return r;
    }
    ps_process_raw(ps_, samples.data(), samples.size(), FALSE, TRUE);
    ps_end_utt(ps_);
    int32 score = 0;
    const char* hyp = ps_get_hyp(ps_, &score);
    r.hypothesis = hyp ? hyp : "";
    r.score = score;
    for (ps_seg_t* seg = ps_seg_iter(ps_); seg; seg = ps_seg_next(seg)) {
      RecognisedWord w;
      const char* word = ps_seg_word(seg);
      w.word = word ? word : "";
      ps_seg_frames(seg, &w.start_frame, &w.end_frame);
      int32 ascr = 0, lscr = 0, lback = 0;
      w.log_prob = ps_seg_prob(seg, &ascr, &lscr, &lback);
      r.words.push_back(std::move(w));
    }
    return r;
  }

  bool alive() const { return ps_ != nullptr; }

 private:
  void reset() {
    if (ps_) ps_free(ps_);
    ps_ = nullptr;
    searches_.clear();
    full_dictionary_.clear();
  }

  bool ensure(const DecoderConfig& config, std::string* error) {
    if (ps_ && config == config_) return true;
    reset();
    const std::string ds = std::to_string(std::clamp(config.score_every, 1, 4));
    // No dictionary: a keyword grammar adds its few words (ps_add_word), so the decoder
    // starts in ~10 ms and stays small. Whole stretches are decoded as one utterance with
    // pocketsphinx's silence removal off, so segment frames are exact offsets into the job.
    cmd_ln_t* c = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", config.acoustic_model.c_str(), "-ds", ds.c_str(),
                              "-remove_silence", "no", nullptr);
    if (!c) {
      *error = "invalid decoder configuration";
      return false;
    }
    ps_ = ps_init(c);
    cmd_ln_free_r(c);
    if (!ps_) {
      *error = "cannot load the acoustic model " + config.acoustic_model;
      return false;
    }
    config_ = config;
    return true;
  }

  bool add_words(const std::string& dictionary_text) {
    std::istringstream in(dictionary_text);
    std::string line;
    while (std::getline(in, line)) {
      const auto space = line.find_first_of(" \t");
      if (space == std::string::npos) continue;
      const std::string word = line.substr(0, space);
      const auto phones_at = line.find_first_not_of(" \t", space);
      if (phones_at == std::string::npos) continue;
      char* known = ps_lookup_word(ps_, word.c_str());
      if (known) {
        ckd_free(known);
        continue;
      }
      if (ps_add_word(ps_, word.c_str(), line.substr(phones_at).c_str(), FALSE) < 0) return false;
    }
    return true;
  }

  bool select(const SearchSpec& spec, std::string* error) {
    auto it = searches_.find(spec.key);
    if (it == searches_.end()) {
      const std::string name = "s" + std::to_string(searches_.size());
      bool ok;
      if (spec.fsg.empty()) {
        if (full_dictionary_ != spec.full_dictionary) {
          if (ps_load_dict(ps_, spec.full_dictionary.c_str(), nullptr, nullptr) < 0) {
            *error = "cannot load the dictionary " + spec.full_dictionary;
            return false;
          }
          full_dictionary_ = spec.full_dictionary;
        }
        ok = ps_set_lm_file(ps_, name.c_str(), spec.language_model.c_str()) == 0;
      } else {
        ok = add_words(spec.dictionary_text);
        FILE* f = ok ? fmemopen(const_cast<char*>(spec.fsg.data()), spec.fsg.size(), "r") : nullptr;
        fsg_model_t* fsg = f ? fsg_model_read(f, ps_get_logmath(ps_), cmd_ln_float32_r(ps_get_config(ps_), "-lw")) : nullptr;
        if (f) std::fclose(f);
        ok = fsg && ps_set_fsg(ps_, name.c_str(), fsg) == 0;
        if (fsg) fsg_model_free(fsg);
      }
      if (!ok) {
        *error = "cannot set up the recognition search";
        return false;
      }
      it = searches_.emplace(spec.key, name).first;
    }
    if (ps_set_search(ps_, it->second.c_str()) < 0) {
      *error = "cannot switch the recognition search";
      return false;
    }
    return true;
  }

  ps_decoder_t* ps_ = nullptr;
  DecoderConfig config_;
  std::map<std::string, std::string> searches_;  // spec key → search name
  std::string full_dictionary_;                  // loaded for open vocabulary
};

}  // namespace

struct DecoderPool::Impl {
  mutable std::mutex mutex;
  std::condition_variable wake;
  JobQueue queue;
  unsigned max_decoders;
  unsigned threads = 0;
  unsigned decoders = 0;
  std::uint64_t next_owner = 1;

  Impl(unsigned n, double max_seconds) : queue(max_seconds), max_decoders(n) {}

  void run() {
    Decoder decoder;
    std::unique_lock lock(mutex);
    while (true) {
      std::optional<DecodeJob> job;
      wake.wait(lock, [&] { return (job = queue.take()).has_value(); });
      lock.unlock();
      Recognition r;
      const bool had = decoder.alive();
      if (job->search) r = decoder.decode(*job);
      const bool has = decoder.alive();
      if (job->done) job->done(r);
      const std::uint64_t owner = job->owner;
      job.reset();  // the owner's references go before its next job can start
      lock.lock();
      if (had != has) has ? ++decoders : --decoders;
      queue.finished(owner);
      // At most the owner's next job became runnable, and this thread looks for work before
      // it waits again; one more thread is enough should it be busy elsewhere.
      wake.notify_one();
    }
  }
};

DecoderPool::DecoderPool() {
  err_set_logfp(nullptr);  // pocketsphinx logs its configuration to stderr at each decoder start
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  impl_ = new Impl(env_unsigned("SPHINX_DECODERS", cores, 1, 64),
                   double(env_unsigned("SPHINX_MAX_PENDING_SECONDS", 60, 1, 86400)));
}

DecoderPool& DecoderPool::instance() {
  static DecoderPool* pool = new DecoderPool();  // never destroyed (detached threads use it)
  return *pool;
}

std::uint64_t DecoderPool::new_owner_id() {
  std::lock_guard lock(impl_->mutex);
  return impl_->next_owner++;
}

void DecoderPool::submit(DecodeJob job) {
  std::vector<DecodeJob> dropped;
  {
    std::lock_guard lock(impl_->mutex);
    dropped = impl_->queue.push(std::move(job));
    // A thread per queued job up to the pool's size: lazily, never more than configured.
    if (impl_->threads < impl_->max_decoders) {
      ++impl_->threads;
      std::thread([impl = impl_] { impl->run(); }).detach();
    }
    impl_->wake.notify_one();
  }
  for (auto& d : dropped)
    if (d.dropped) d.dropped();
}

PoolStats DecoderPool::stats() const {
  std::lock_guard lock(impl_->mutex);
  PoolStats s;
  s.threads = impl_->threads;
  s.decoders = impl_->decoders;
  s.max_decoders = impl_->max_decoders;
  return s;
}

}  // namespace mediaflow::sphinx
