// Work handed to a worker loop from other threads (streaming threads, vendor threads, the
// writer pool): one GSource per loop, however many calls post to it. The alternative,
// g_main_context_invoke() per item, creates and destroys a GSource for every outbound frame
// an agent thread produces.
#pragma once

#include <glib.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <vector>

namespace mediaflow::server {

class LoopMailbox {
 public:
  explicit LoopMailbox(GMainContext* context);
  ~LoopMailbox();
  LoopMailbox(const LoopMailbox&) = delete;
  LoopMailbox& operator=(const LoopMailbox&) = delete;

  // Any thread. `task` runs on the loop, in posting order.
  void post(std::function<void()> task);

 private:
  struct Source;
  static gboolean prepare(GSource* source, gint* timeout);
  static gboolean check(GSource* source);
  static gboolean dispatch(GSource* source, GSourceFunc, gpointer);

  GMainContext* context_;
  GSource* source_;
  std::mutex mutex_;
  std::vector<std::function<void()>> tasks_;
  std::vector<std::function<void()>> running_;  // loop thread only: the batch being run
  std::atomic<bool> pending_{false};
};

}  // namespace mediaflow::server
