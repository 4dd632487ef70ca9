#include "writer_pool.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace mediaflow::recorder {
namespace {

// Disk writes of recordings are small and batched: two threads keep up with thousands of
// calls on local disks; RECORDER_WRITER_THREADS (1..64) overrides it for slow storage.
unsigned configured_threads() {
  if (const char* v = std::getenv("RECORDER_WRITER_THREADS")) {
    const long n = std::strtol(v, nullptr, 10);
    if (n >= 1 && n <= 64) return static_cast<unsigned>(n);
  }
  return 2;
}

}  // namespace

WriterPool& WriterPool::instance() {
  static WriterPool* pool = new WriterPool(configured_threads());
  return *pool;
}

WriterPool::WriterPool(unsigned threads) {
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
  for (auto& t : threads_) t.detach();
}

WriterPool::Id WriterPool::add(Service service, std::function<void()> done) {
  std::lock_guard lock(mutex_);
  const Id id = next_id_++;
  Entry& e = entries_[id];
  e.service = std::move(service);
  e.done = std::move(done);
  make_ready(id);
  return id;
}

void WriterPool::make_ready(Id id) {
  Entry& e = entries_.at(id);
  if (e.state == State::kIdle) {
    e.state = State::kQueued;
    ready_.push_back(id);
    cv_.notify_one();
  } else if (e.state == State::kRunning) {
    e.rerun = true;
  }
}

void WriterPool::wake(Id id) {
  std::lock_guard lock(mutex_);
  if (entries_.count(id)) make_ready(id);
}

void WriterPool::wake_at(Id id, Clock::time_point when) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.timer <= when) return;
  const bool earliest = timers_.empty() || when < timers_.top().first;
  it->second.timer = when;
  timers_.push({when, id});
  if (earliest) cv_.notify_all();  // a sleeping thread may have to wake up sooner
}

void WriterPool::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    // Due timers make their recordings ready (stale entries: id gone or timer moved).
    const auto now = Clock::now();
    while (!timers_.empty() && timers_.top().first <= now) {
      const auto [when, id] = timers_.top();
      timers_.pop();
      auto it = entries_.find(id);
      if (it == entries_.end() || it->second.timer != when) continue;
      it->second.timer = Clock::time_point::max();
      make_ready(id);
    }
    if (ready_.empty()) {
      if (timers_.empty()) cv_.wait(lock);
      else {
        // A copy: wait_until keeps reading its deadline while the lock is released, and a
        // push from another thread may reallocate the heap under a reference to top().
        const Clock::time_point deadline = timers_.top().first;
        cv_.wait_until(lock, deadline);
      }
      continue;
    }
    const Id id = ready_.front();
    ready_.pop_front();
    Entry& entry = entries_.at(id);
    entry.state = State::kRunning;
    Service& service = entry.service;  // stable: unordered_map never moves its nodes
    lock.unlock();
    const Outcome out = service();
    lock.lock();
    auto it = entries_.find(id);
    if (out.finished) {
      std::function<void()> done = std::move(it->second.done);
      entries_.erase(it);
      lock.unlock();
      if (done) done();
      lock.lock();
      continue;
    }
    Entry& e = it->second;
    e.state = State::kIdle;
    if (e.rerun) {
      e.rerun = false;
      make_ready(id);
    } else if (out.next && *out.next < e.timer) {
      e.timer = *out.next;
      timers_.push({*out.next, id});
    }
  }
}

}  // namespace mediaflow::recorder
