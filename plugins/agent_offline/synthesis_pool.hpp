// The threads that synthesise speech for every espeakagent of the process. With the speech
// cache (speech_cache.hpp) synthesis is rare: an agent says the same few sentences in every
// call. So 2,000 calls share kSynthesisThreads threads instead of owning one idle worker
// each; espeak-ng is not re-entrant (espeak_synth.cpp serialises it behind one mutex), so
// more threads would only run resampling side by side. Tasks run in the order they were
// given. No GStreamer in here.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mediaflow::offline_agent {

inline constexpr unsigned kSynthesisThreads = 1;

class SynthesisPool {
 public:
  using Task = std::function<void()>;

  // The process-wide pool: created by the first call (i.e. the first sentence that is not
  // in the speech cache), never destroyed: its thread may still be finishing a sentence
  // while the process exits (plugin libraries stay loaded for the process's life).
  static SynthesisPool& instance();

  explicit SynthesisPool(unsigned threads);
  ~SynthesisPool();  // runs what is queued, then joins
  SynthesisPool(const SynthesisPool&) = delete;
  SynthesisPool& operator=(const SynthesisPool&) = delete;

  // Queues `task` (FIFO); one of the pool's threads runs it. Thread-safe.
  void run(Task task);

  std::size_t thread_count() const { return threads_.size(); }
  std::size_t queued() const;

 private:
  void loop();

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace mediaflow::offline_agent
