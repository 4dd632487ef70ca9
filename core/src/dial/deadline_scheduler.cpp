#include "dial/deadline_scheduler.hpp"

#include <map>
#include <mutex>

namespace mediaflow::dial {
namespace {

struct SchedulerSource {
  GSource base;
  DeadlineScheduler* owner;
};

std::mutex g_registry_mutex;
std::map<GMainContext*, std::weak_ptr<DeadlineScheduler>> g_registry;

}  // namespace

std::shared_ptr<DeadlineScheduler> DeadlineScheduler::for_context(GMainContext* ctx) {
  if (!ctx) ctx = g_main_context_default();
  std::lock_guard lock(g_registry_mutex);
  auto& slot = g_registry[ctx];
  if (auto existing = slot.lock()) return existing;
  auto created = std::make_shared<DeadlineScheduler>(ctx);
  slot = created;
  return created;
}

DeadlineScheduler::DeadlineScheduler(GMainContext* ctx) : ctx_(g_main_context_ref(ctx)) {
  static GSourceFuncs funcs = {nullptr, nullptr, &DeadlineScheduler::dispatch, nullptr, nullptr, nullptr};
  source_ = g_source_new(&funcs, sizeof(SchedulerSource));
  reinterpret_cast<SchedulerSource*>(source_)->owner = this;
  g_source_set_priority(source_, G_PRIORITY_DEFAULT);
  g_source_set_ready_time(source_, -1);
  g_source_attach(source_, ctx_);
}

DeadlineScheduler::~DeadlineScheduler() {
  {
    std::lock_guard lock(g_registry_mutex);
    auto it = g_registry.find(ctx_);
    if (it != g_registry.end() && it->second.expired()) g_registry.erase(it);
  }
  g_source_destroy(source_);
  g_source_unref(source_);
  g_main_context_unref(ctx_);
}

DeadlineScheduler::TimerId DeadlineScheduler::schedule(int64_t deadline_us, std::function<void()> fn) {
  TimerId id = next_id_++;
  callbacks_.emplace(id, std::move(fn));
  heap_.push({deadline_us, id});
  rearm();
  return id;
}

void DeadlineScheduler::cancel(TimerId id) {
  callbacks_.erase(id);
  // The heap entry stays until it reaches the top; drop stale tops now so the source does not
  // wake up for nothing.
  while (!heap_.empty() && !callbacks_.count(heap_.top().id)) heap_.pop();
  rearm();
}

void DeadlineScheduler::rearm() {
  g_source_set_ready_time(source_, heap_.empty() ? -1 : heap_.top().deadline_us);
}

gboolean DeadlineScheduler::dispatch(GSource* source, GSourceFunc, gpointer) {
  reinterpret_cast<SchedulerSource*>(source)->owner->run_due();
  return G_SOURCE_CONTINUE;
}

void DeadlineScheduler::run_due() {
  // A callback may drop the last caller holding this scheduler.
  auto keep_alive = shared_from_this();
  const int64_t now = g_get_monotonic_time();
  // Callbacks may schedule or cancel timers (even their own caller's): take each one out of
  // the table before running it.
  while (!heap_.empty() && heap_.top().deadline_us <= now) {
    TimerId id = heap_.top().id;
    heap_.pop();
    auto it = callbacks_.find(id);
    if (it == callbacks_.end()) continue;
    auto fn = std::move(it->second);
    callbacks_.erase(it);
    fn();
  }
  rearm();
}

}  // namespace mediaflow::dial
