#include "synthesis_pool.hpp"

#include <pthread.h>

namespace mediaflow::offline_agent {

SynthesisPool& SynthesisPool::instance() {
  static SynthesisPool* pool = new SynthesisPool(kSynthesisThreads);
  return *pool;
}

SynthesisPool::SynthesisPool(unsigned threads) {
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { loop(); });
}

SynthesisPool::~SynthesisPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void SynthesisPool::run(Task task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

std::size_t SynthesisPool::queued() const {
  std::lock_guard lock(mutex_);
  return tasks_.size();
}

void SynthesisPool::loop() {
  pthread_setname_np(pthread_self(), "espeak-synth");  // what `top -H` shows
  std::unique_lock lock(mutex_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
    if (tasks_.empty()) return;  // stopping, nothing left
    Task task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // whatever the task holds is released off the pool's lock
    lock.lock();
  }
}

}  // namespace mediaflow::offline_agent
