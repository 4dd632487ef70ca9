#include "server/loop_mailbox.hpp"

namespace mediaflow::server {

struct LoopMailbox::Source {
  GSource base;
  LoopMailbox* owner;
};

LoopMailbox::LoopMailbox(GMainContext* context) : context_(context) {
  static GSourceFuncs funcs = {&LoopMailbox::prepare, &LoopMailbox::check, &LoopMailbox::dispatch,
                               nullptr, nullptr, nullptr};
  source_ = g_source_new(&funcs, sizeof(Source));
  reinterpret_cast<Source*>(source_)->owner = this;
  g_source_set_name(source_, "mediaflow-mailbox");
  g_source_attach(source_, context_);
}

LoopMailbox::~LoopMailbox() {
  g_source_destroy(source_);
  g_source_unref(source_);
}

void LoopMailbox::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  // One wake-up per batch: while one is pending, the loop will take this task with it. The
  // loop's own thread (a bus message posted inside a push) needs none: prepare() sees the
  // task before the loop sleeps again. Other threads must interrupt its poll.
  if (!pending_.exchange(true, std::memory_order_acq_rel) && !g_main_context_is_owner(context_))
    g_main_context_wakeup(context_);
}

gboolean LoopMailbox::prepare(GSource* source, gint* timeout) {
  *timeout = -1;
  return reinterpret_cast<Source*>(source)->owner->pending_.load(std::memory_order_acquire);
}

gboolean LoopMailbox::check(GSource* source) {
  return reinterpret_cast<Source*>(source)->owner->pending_.load(std::memory_order_acquire);
}

gboolean LoopMailbox::dispatch(GSource* source, GSourceFunc, gpointer) {
  LoopMailbox* self = reinterpret_cast<Source*>(source)->owner;
  std::vector<std::function<void()>>& batch = self->running_;
  {
    std::lock_guard lock(self->mutex_);
    self->pending_.store(false, std::memory_order_relaxed);
    batch.swap(self->tasks_);  // both vectors keep their capacity: no allocation per batch
  }
  for (auto& task : batch) task();
  batch.clear();
  return G_SOURCE_CONTINUE;
}

}  // namespace mediaflow::server
