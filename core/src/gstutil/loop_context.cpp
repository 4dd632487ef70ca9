#include <mediaflow/gstutil/loop_context.hpp>

namespace mediaflow::gstutil {
namespace {

gboolean run_function(gpointer data) {
  (*static_cast<std::function<void()>*>(data))();
  return G_SOURCE_REMOVE;
}

void delete_function(gpointer data) { delete static_cast<std::function<void()>*>(data); }

}  // namespace

LoopContext::LoopContext(const char* thread_name) {
  g_mutex_init(&mutex_);
  g_cond_init(&running_cond_);
  GMainContext* current = g_main_context_ref_thread_default();
  if (current != g_main_context_default() || g_main_context_is_owner(current)) {
    context_ = current;
    return;
  }
  g_main_context_unref(current);
  context_ = g_main_context_new();
  loop_ = g_main_loop_new(context_, FALSE);
  thread_ = g_thread_new(thread_name, &LoopContext::run_thread, this);
  // Until the loop owns the context, g_main_context_invoke() from another thread could
  // acquire it and run work on the wrong thread: wait for the loop to be running.
  g_mutex_lock(&mutex_);
  while (!running_) g_cond_wait(&running_cond_, &mutex_);
  g_mutex_unlock(&mutex_);
}

gpointer LoopContext::run_thread(gpointer data) {
  auto* self = static_cast<LoopContext*>(data);
  g_main_context_push_thread_default(self->context_);
  GSource* started = g_idle_source_new();
  g_source_set_callback(
      started,
      [](gpointer d) -> gboolean {
        auto* s = static_cast<LoopContext*>(d);
        g_mutex_lock(&s->mutex_);
        s->running_ = true;
        g_cond_broadcast(&s->running_cond_);
        g_mutex_unlock(&s->mutex_);
        return G_SOURCE_REMOVE;
      },
      self, nullptr);
  g_source_attach(started, self->context_);
  g_source_unref(started);
  g_main_loop_run(self->loop_);
  // Let sources removed during teardown run their destroy notifiers here.
  while (g_main_context_iteration(self->context_, FALSE)) {
  }
  g_main_context_pop_thread_default(self->context_);
  return nullptr;
}

LoopContext::~LoopContext() {
  if (thread_) {
    invoke([loop = loop_] { g_main_loop_quit(loop); });
    g_thread_join(thread_);
    g_main_loop_unref(loop_);
  }
  g_main_context_unref(context_);
  g_cond_clear(&running_cond_);
  g_mutex_clear(&mutex_);
}

void LoopContext::invoke(std::function<void()> fn) {
  if (is_current()) {
    fn();
    return;
  }
  // Not g_main_context_invoke(): it would run the function on *this* thread whenever it can
  // acquire the context (e.g. the host's loop is between iterations), racing the loop thread.
  GSource* source = g_idle_source_new();
  g_source_set_priority(source, G_PRIORITY_DEFAULT);
  g_source_set_callback(source, run_function, new std::function<void()>(std::move(fn)), delete_function);
  g_source_attach(source, context_);
  g_source_unref(source);
}

}  // namespace mediaflow::gstutil
