// ThreadSanitizer cannot see GLib's GMutex and GCond: on Linux they are bare futexes, not
// pthread mutexes, so everything GStreamer (GST_OBJECT_LOCK, pad and queue locks) and our
// plugins guard with them reads as a data race. Linked only into the executables of the TSan
// build (MEDIAFLOW_TSAN), these definitions take the place of GLib's for every caller outside
// libglib itself (libglib binds its own calls internally), call GLib's own, and tell TSan where
// the lock is taken and released. GLib's internal locking (GMainContext, GAsyncQueue) stays
// invisible: tests/tsan.supp says how that is handled.
#include <glib.h>

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

namespace {

template <typename Fn>
Fn glib(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {

void g_mutex_lock(GMutex* mutex) {
  static const auto lock = glib<void (*)(GMutex*)>("g_mutex_lock");
  lock(mutex);
  __tsan_acquire(mutex);
}

gboolean g_mutex_trylock(GMutex* mutex) {
  static const auto trylock = glib<gboolean (*)(GMutex*)>("g_mutex_trylock");
  const gboolean locked = trylock(mutex);
  if (locked) __tsan_acquire(mutex);
  return locked;
}

void g_mutex_unlock(GMutex* mutex) {
  static const auto unlock = glib<void (*)(GMutex*)>("g_mutex_unlock");
  __tsan_release(mutex);
  unlock(mutex);
}

void g_cond_wait(GCond* cond, GMutex* mutex) {
  static const auto wait = glib<void (*)(GCond*, GMutex*)>("g_cond_wait");
  __tsan_release(mutex);
  wait(cond, mutex);
  __tsan_acquire(mutex);
}

gboolean g_cond_wait_until(GCond* cond, GMutex* mutex, gint64 end_time) {
  static const auto wait_until = glib<gboolean (*)(GCond*, GMutex*, gint64)>("g_cond_wait_until");
  __tsan_release(mutex);
  const gboolean signalled = wait_until(cond, mutex, end_time);
  __tsan_acquire(mutex);
  return signalled;
}

// GThreadPool hands each job to a worker through a GAsyncQueue locked by GLib's own GMutex,
// which libglib binds internally: TSan sees no order between the pushing thread's writes and
// the worker's reads of the job (GTask's worker pool: GIO's resolver, proxy lookup, TLS
// handshakes, GSocketClient's async connect). Pools created and fed from outside libglib (GIO
// creates GTask's pool, our code creates none) get their function wrapped: the push releases
// on the job's address, the worker acquires it before running the job.
struct PoolFunc {
  GFunc func;
  gpointer user_data;
};

static void pool_job(gpointer data, gpointer pool_func) {
  auto* f = static_cast<PoolFunc*>(pool_func);
  __tsan_acquire(data);
  f->func(data, f->user_data);
}

GThreadPool* g_thread_pool_new(GFunc func, gpointer user_data, gint max_threads, gboolean exclusive,
                               GError** error) {
  static const auto create = glib<GThreadPool* (*)(GFunc, gpointer, gint, gboolean, GError**)>(
      "g_thread_pool_new");
  // Never freed: the pools that cross the boundary (GTask's) live as long as the process.
  return create(&pool_job, new PoolFunc{func, user_data}, max_threads, exclusive, error);
}

GThreadPool* g_thread_pool_new_full(GFunc func, gpointer user_data, GDestroyNotify item_free_func,
                                    gint max_threads, gboolean exclusive, GError** error) {
  static const auto create =
      glib<GThreadPool* (*)(GFunc, gpointer, GDestroyNotify, gint, gboolean, GError**)>(
          "g_thread_pool_new_full");
  return create(&pool_job, new PoolFunc{func, user_data}, item_free_func, max_threads, exclusive,
                error);
}

gboolean g_thread_pool_push(GThreadPool* pool, gpointer data, GError** error) {
  static const auto push = glib<gboolean (*)(GThreadPool*, gpointer, GError**)>(
      "g_thread_pool_push");
  __tsan_release(data);
  return push(pool, data, error);
}

// GMainContext's own lock is internal to libglib too, so work handed to another thread's main
// loop (a GTask completing from its worker thread, g_idle_add/g_timeout_add/
// g_main_context_invoke from another thread) arrives without a visible order. Sources made
// from outside libglib: attaching one releases on its address, and its callback (for idle
// and timeout sources, whose callback is a plain GSourceFunc) acquires it before running; the
// g_idle_add/g_timeout_add/g_main_context_invoke conveniences wrap their function the same way.
struct SourceFunc {
  GSourceFunc func;
  gpointer data;
  GDestroyNotify notify;
  const void* key;  // what the hand-off released on: the GSource, or this struct
};

static gboolean source_func(gpointer wrapped) {
  auto* f = static_cast<SourceFunc*>(wrapped);
  __tsan_acquire(const_cast<void*>(f->key));
  return f->func(f->data);
}

static void source_func_free(gpointer wrapped) {
  auto* f = static_cast<SourceFunc*>(wrapped);
  if (f->notify) f->notify(f->data);
  delete f;
}

static SourceFunc* self_keyed(GSourceFunc func, gpointer data, GDestroyNotify notify) {
  auto* f = new SourceFunc{func, data, notify, nullptr};
  f->key = f;
  __tsan_release(f);
  return f;
}

void g_source_set_callback(GSource* source, GSourceFunc func, gpointer data, GDestroyNotify notify) {
  static const auto set = glib<void (*)(GSource*, GSourceFunc, gpointer, GDestroyNotify)>(
      "g_source_set_callback");
  if (func && (source->source_funcs == &g_idle_funcs || source->source_funcs == &g_timeout_funcs)) {
    set(source, &source_func, new SourceFunc{func, data, notify, source}, &source_func_free);
    return;
  }
  set(source, func, data, notify);
}

guint g_source_attach(GSource* source, GMainContext* context) {
  static const auto attach = glib<guint (*)(GSource*, GMainContext*)>("g_source_attach");
  __tsan_release(source);
  return attach(source, context);
}

guint g_idle_add_full(gint priority, GSourceFunc func, gpointer data, GDestroyNotify notify) {
  static const auto add = glib<guint (*)(gint, GSourceFunc, gpointer, GDestroyNotify)>(
      "g_idle_add_full");
  return add(priority, &source_func, self_keyed(func, data, notify), &source_func_free);
}

guint g_idle_add(GSourceFunc func, gpointer data) {
  return g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, func, data, nullptr);
}

guint g_timeout_add_full(gint priority, guint interval, GSourceFunc func, gpointer data,
                         GDestroyNotify notify) {
  static const auto add = glib<guint (*)(gint, guint, GSourceFunc, gpointer, GDestroyNotify)>(
      "g_timeout_add_full");
  return add(priority, interval, &source_func, self_keyed(func, data, notify), &source_func_free);
}

guint g_timeout_add(guint interval, GSourceFunc func, gpointer data) {
  return g_timeout_add_full(G_PRIORITY_DEFAULT, interval, func, data, nullptr);
}

void g_main_context_invoke_full(GMainContext* context, gint priority, GSourceFunc func, gpointer data,
                                GDestroyNotify notify) {
  static const auto invoke = glib<void (*)(GMainContext*, gint, GSourceFunc, gpointer, GDestroyNotify)>(
      "g_main_context_invoke_full");
  invoke(context, priority, &source_func, self_keyed(func, data, notify), &source_func_free);
}

void g_main_context_invoke(GMainContext* context, GSourceFunc func, gpointer data) {
  g_main_context_invoke_full(context, G_PRIORITY_DEFAULT, func, data, nullptr);
}

}  // extern "C"
