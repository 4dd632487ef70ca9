// One timer per GMainContext for every simulated caller on it.
//
// Thousands of callers on one loop each need a wake-up every 20 ms (the next frame) and at
// the moment their received audio "has played" (marks). One GSource per caller would make
// every loop iteration walk thousands of sources; instead each context gets one scheduler: a
// min-heap of absolute monotonic deadlines behind a single GSource whose ready time is the
// earliest one. Deadlines are absolute, so periodic senders never drift.
#pragma once

#include <glib.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <unordered_map>
#include <vector>

namespace mediaflow::dial {

class DeadlineScheduler : public std::enable_shared_from_this<DeadlineScheduler> {
 public:
  using TimerId = uint64_t;

  // The scheduler of ctx (created on first use, shared while anyone holds it). Use it only
  // from the thread that iterates ctx.
  static std::shared_ptr<DeadlineScheduler> for_context(GMainContext* ctx);

  explicit DeadlineScheduler(GMainContext* ctx);
  ~DeadlineScheduler();
  DeadlineScheduler(const DeadlineScheduler&) = delete;
  DeadlineScheduler& operator=(const DeadlineScheduler&) = delete;

  // Runs fn once at monotonic time deadline_us (g_get_monotonic_time scale), or at the next
  // loop iteration when that is already past. Returns an id for cancel().
  TimerId schedule(int64_t deadline_us, std::function<void()> fn);
  void cancel(TimerId id);

 private:
  struct Entry {
    int64_t deadline_us;
    TimerId id;
    bool operator>(const Entry& o) const {
      return deadline_us != o.deadline_us ? deadline_us > o.deadline_us : id > o.id;
    }
  };
  static gboolean dispatch(GSource* source, GSourceFunc, gpointer);
  void run_due();
  void rearm();

  GMainContext* ctx_;
  GSource* source_ = nullptr;
  TimerId next_id_ = 1;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  // id → callback; cancelled timers are erased here and skipped when they reach the top.
  std::unordered_map<TimerId, std::function<void()>> callbacks_;
};

}  // namespace mediaflow::dial
