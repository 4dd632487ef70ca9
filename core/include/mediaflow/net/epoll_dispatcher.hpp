// One epoll set per GMainContext, attached to it as a single GSource, plus that context's
// deadline timers on the same GSource.
//
// GLib's own loop prepares, checks and polls every source on every iteration: with a GSource
// (or a timeout source) per connection every wake-up costs O(connections), and a loop running
// hundreds of calls wakes thousands of times a second. With every socket in one epoll set and
// every deadline in one ordered map, the GLib loop polls one fd and one ready time, and each
// wake-up costs only the sockets that are ready and the timers that are due.
//
// for_context() finds or creates the dispatcher of a context (refcounted: it lives while a
// connection, timer owner or loop holds it). Everything except the last release runs on the
// context's thread; the last reference may be dropped on any thread (the GSource outlives a
// dispatch that is running). The registry lives in libmediaflow_sdk.so, shared by the host and
// every plugin: a loop has one dispatcher, whoever's sockets it carries.
#pragma once

#include <glib.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <unordered_set>
#include <utility>
#include <vector>

namespace mediaflow::net {

class EpollDispatcher {
 public:
  class Handler {
   public:
    // `events`: EPOLLIN / EPOLLOUT / EPOLLHUP / EPOLLERR bits as epoll reported them.
    virtual void on_io(std::uint32_t events) = 0;

   protected:
    ~Handler() = default;
  };

  // A one-shot deadline run from the dispatcher's GSource; re-arm from the callback for a
  // periodic one. Context thread only. Must not outlive the dispatcher while armed (owners
  // hold the dispatcher's shared_ptr in a member declared before their timers).
  class Timer {
   public:
    Timer() = default;
    ~Timer() { cancel(); }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    // Replaces any earlier deadline. `fn` runs once, at or after `deadline_us` (monotonic
    // time, g_get_monotonic_time()); the timer is disarmed before it runs.
    void arm_at(EpollDispatcher& dispatcher, gint64 deadline_us, std::function<void()> fn);
    void arm_in_ms(EpollDispatcher& dispatcher, unsigned ms, std::function<void()> fn);
    void cancel();

   private:
    friend class EpollDispatcher;
    EpollDispatcher* dispatcher_ = nullptr;
    std::pair<gint64, std::uint64_t> key_{0, 0};  // deadline, then arming order
    std::function<void()> fn_;
  };

  // The dispatcher of `context` (null: the global default context), created on first use.
  // Null when the epoll set cannot be created.
  static std::shared_ptr<EpollDispatcher> for_context(GMainContext* context);
  // The dispatcher of the calling thread's thread-default context (what a vendor client or
  // session started from a loop's callback lives on).
  static std::shared_ptr<EpollDispatcher> for_thread_default();

  EpollDispatcher(const EpollDispatcher&) = delete;
  EpollDispatcher& operator=(const EpollDispatcher&) = delete;

  GMainContext* context() const { return context_; }
  bool add(int fd, std::uint32_t events, Handler* handler);
  bool modify(int fd, std::uint32_t events, Handler* handler);
  // After remove() the handler gets no further call, even for events already collected.
  void remove(int fd, Handler* handler);

  // Scratch space for reads (64 KiB), shared by every connection of this context: a
  // connection reads into it and is done with it before the next one runs.
  std::span<std::uint8_t> read_buffer();

  // Timers armed now (tests, metrics).
  std::size_t armed_timers() const { return timers_.size(); }

 private:
  struct Source;
  explicit EpollDispatcher(GMainContext* context);
  ~EpollDispatcher();  // from the GSource's finalize, after the last release
  static void release(EpollDispatcher* dispatcher);
  static gboolean dispatch(GSource* source, GSourceFunc, gpointer);
  static void finalize(GSource* source);
  void dispatch_ready();
  void run_due_timers();
  void schedule(Timer* timer);
  void unschedule(Timer* timer);
  void update_ready_time();

  GMainContext* context_ = nullptr;  // referenced while the dispatcher lives
  int epoll_fd_ = -1;
  GSource* source_ = nullptr;
  bool dispatching_ = false;
  std::unordered_set<Handler*> removed_while_dispatching_;
  std::map<std::pair<gint64, std::uint64_t>, Timer*> timers_;
  std::uint64_t next_timer_seq_ = 0;
  gint64 ready_time_ = -1;  // what the GSource was last told
  std::atomic<bool> released_{false};  // the last reference is gone (any thread)
  std::vector<std::uint8_t> read_buffer_;
};

}  // namespace mediaflow::net
