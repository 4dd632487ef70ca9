// A worker loop like the host's: its own GMainContext, thread-default on its own thread.
// run_sync() runs a job there and waits, so tests can push inline the way the host does.
#pragma once

#include <glib.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace mediaflow::test {

class LoopThread {
 public:
  LoopThread() : context_(g_main_context_new()), loop_(g_main_loop_new(context_, FALSE)) {
    thread_ = std::thread([this] {
      g_main_context_push_thread_default(context_);
      g_main_loop_run(loop_);
      g_main_context_pop_thread_default(context_);
    });
  }
  ~LoopThread() {
    run_sync([this] { g_main_loop_quit(loop_); });
    thread_.join();
    g_main_loop_unref(loop_);
    g_main_context_unref(context_);
  }
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  GMainContext* context() const { return context_; }

  void run_sync(std::function<void()> fn) {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::function<void()> job = [&] {
      fn();
      std::lock_guard lock(m);
      done = true;
      cv.notify_all();
    };
    // Handed over through an atomic as well as through GLib's source list: GLib's mutexes are
    // futexes ThreadSanitizer cannot see, so without it every run_sync() reads as a race.
    std::atomic<std::function<void()>*> handoff{nullptr};
    handoff.store(&job, std::memory_order_release);
    GSource* source = g_idle_source_new();
    g_source_set_callback(
        source,
        [](gpointer d) -> gboolean {
          (*static_cast<std::atomic<std::function<void()>*>*>(d)->load(std::memory_order_acquire))();
          return G_SOURCE_REMOVE;
        },
        &handoff, nullptr);
    g_source_attach(source, context_);
    g_source_unref(source);
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return done; });
  }

 private:
  GMainContext* context_;
  GMainLoop* loop_;
  std::thread thread_;
};

}  // namespace mediaflow::test
