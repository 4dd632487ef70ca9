// A small fixed set of threads that does the disk work of every recording in the process.
// A recording is an actor: the pool runs its service() on one pool thread at a time, when it
// was woken (now, or at a deadline). 2,000 recorded calls cost 2 threads, not 2,000, and a
// pool thread writes a batch of frames per wake-up instead of waking once per 20 ms frame.
// No GStreamer in here.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <unordered_map>
#include <vector>

namespace mediaflow::recorder {

class WriterPool {
 public:
  using Clock = std::chrono::steady_clock;
  using Id = std::uint64_t;
  // What one service run asks for: finished (never run again), or run again by `next`.
  struct Outcome {
    bool finished = false;
    std::optional<Clock::time_point> next;
  };
  using Service = std::function<Outcome()>;

  // The process-wide pool (created on first use, never destroyed: its threads may still be
  // finishing a recording while the process exits).
  static WriterPool& instance();

  // Registers a recording and runs its service once right away. `done` runs on a pool thread
  // after the service reported finished and the pool has forgotten the id.
  Id add(Service service, std::function<void()> done);
  // Run the service soon (no-op for an id that finished).
  void wake(Id id);
  // Run the service no later than `when`.
  void wake_at(Id id, Clock::time_point when);

  std::size_t thread_count() const { return threads_.size(); }

 private:
  explicit WriterPool(unsigned threads);
  void run();
  void make_ready(Id id);  // pool mutex held

  enum class State { kIdle, kQueued, kRunning };
  struct Entry {
    Service service;
    std::function<void()> done;
    State state = State::kIdle;
    bool rerun = false;
    Clock::time_point timer = Clock::time_point::max();
  };
  using Timer = std::pair<Clock::time_point, Id>;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::unordered_map<Id, Entry> entries_;
  std::deque<Id> ready_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  Id next_id_ = 1;
  std::vector<std::thread> threads_;
};

}  // namespace mediaflow::recorder
