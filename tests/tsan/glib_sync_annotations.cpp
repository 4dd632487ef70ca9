// ThreadSanitizer cannot see GLib's GMutex and GCond: on Linux they are bare futexes, not
// pthread mutexes, so everything GStreamer (GST_OBJECT_LOCK, pad and queue locks) and our
// plugins guard with them reads as a data race. Linked only into the executables of the TSan
// build (MEDIAFLOW_TSAN), these definitions take the place of GLib's for every caller outside
// libglib itself (libglib binds its own calls internally), call GLib's own, and tell TSan where
// the lock is taken and released. GLib's internal locking (GMainContext, GAsyncQueue, quarks)
// cannot be reached that way: further down, the public calls that hand data across it are
// annotated instead, and tests/tsan.supp lists what is left with its reason.
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
// and timeout sources, whose callback is a plain GSourceFunc) acquires it before running.
struct SourceFunc {
  GSourceFunc func;
  gpointer data;
  GDestroyNotify notify;
};

static gboolean source_func(gpointer wrapped) {
  // Both keys are acquired before the wrapper is read: the struct (released when it was made)
  // and the source being dispatched (released when it was attached).
  __tsan_acquire(wrapped);
  if (GSource* source = g_main_current_source()) __tsan_acquire(source);
  auto* f = static_cast<SourceFunc*>(wrapped);
  return f->func(f->data);
}

static void source_func_free(gpointer wrapped) {
  auto* f = static_cast<SourceFunc*>(wrapped);
  if (f->notify) f->notify(f->data);
  delete f;
}

void g_source_set_callback(GSource* source, GSourceFunc func, gpointer data, GDestroyNotify notify) {
  static const auto set = glib<void (*)(GSource*, GSourceFunc, gpointer, GDestroyNotify)>(
      "g_source_set_callback");
  if (func && (source->source_funcs == &g_idle_funcs || source->source_funcs == &g_timeout_funcs)) {
    auto* f = new SourceFunc{func, data, notify};
    __tsan_release(f);
    set(source, &source_func, f, &source_func_free);
    return;
  }
  set(source, func, data, notify);
}

guint g_source_attach(GSource* source, GMainContext* context) {
  static const auto attach = glib<guint (*)(GSource*, GMainContext*)>("g_source_attach");
  __tsan_release(source);
  return attach(source, context);
}

// The conveniences below are GLib's own logic (2.74) rebuilt on the public calls, so that the
// source is made, and its callback wrapped, here: GLib's versions allocate the source inside
// libglib, after any release we could do, and the thread that dispatches it frees it.
static guint attach_new(GSource* source, gint priority, GSourceFunc func, gpointer data,
                        GDestroyNotify notify, GMainContext* context) {
  g_source_set_priority(source, priority);
  g_source_set_callback(source, func, data, notify);
  const guint id = g_source_attach(source, context);
  g_source_unref(source);
  return id;
}

guint g_idle_add_full(gint priority, GSourceFunc func, gpointer data, GDestroyNotify notify) {
  return attach_new(g_idle_source_new(), priority, func, data, notify, nullptr);
}

guint g_idle_add(GSourceFunc func, gpointer data) {
  return g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, func, data, nullptr);
}

guint g_timeout_add_full(gint priority, guint interval, GSourceFunc func, gpointer data,
                         GDestroyNotify notify) {
  return attach_new(g_timeout_source_new(interval), priority, func, data, notify, nullptr);
}

guint g_timeout_add(guint interval, GSourceFunc func, gpointer data) {
  return g_timeout_add_full(G_PRIORITY_DEFAULT, interval, func, data, nullptr);
}

void g_main_context_invoke_full(GMainContext* context, gint priority, GSourceFunc func, gpointer data,
                                GDestroyNotify notify) {
  if (!context) context = g_main_context_default();
  GMainContext* thread_default = g_main_context_get_thread_default();
  if (!thread_default) thread_default = g_main_context_default();
  const bool owner = g_main_context_is_owner(context);
  if (owner || (thread_default == context && g_main_context_acquire(context))) {
    while (func(data)) {
    }
    if (!owner) g_main_context_release(context);
    if (notify) notify(data);
    return;
  }
  attach_new(g_idle_source_new(), priority, func, data, notify, context);
}

void g_main_context_invoke(GMainContext* context, GSourceFunc func, gpointer data) {
  g_main_context_invoke_full(context, G_PRIORITY_DEFAULT, func, data, nullptr);
}

// A GMainContext's last unref frees it on whichever thread drops it (a GTask's worker, for the
// context it completes in); the order with the other holders' use (the loop thread's poll on
// its fd array) is GLib's uninstrumented atomic refcount. Every unref from outside libglib
// releases, and acquires what earlier unrefs released, before the real one (which may free).
void g_main_context_unref(GMainContext* context) {
  static const auto unref = glib<void (*)(GMainContext*)>("g_main_context_unref");
  __tsan_release(context);
  __tsan_acquire(context);
  unref(context);
}

// GQuark's table and string chunks are guarded by GLib's internal G_LOCK(quark_global): the
// strings one thread interns (memcpy into the chunk) read as racing with another thread's
// lookup (strcmp in the table). Quark calls from outside libglib (GStreamer's structures and
// caps, our code) take a stand-in for that lock: acquire before, release after.
static char quark_lock;

GQuark g_quark_from_string(const gchar* string) {
  static const auto from = glib<GQuark (*)(const gchar*)>("g_quark_from_string");
  __tsan_acquire(&quark_lock);
  const GQuark q = from(string);
  __tsan_release(&quark_lock);
  return q;
}

GQuark g_quark_from_static_string(const gchar* string) {
  static const auto from = glib<GQuark (*)(const gchar*)>("g_quark_from_static_string");
  __tsan_acquire(&quark_lock);
  const GQuark q = from(string);
  __tsan_release(&quark_lock);
  return q;
}

GQuark g_quark_try_string(const gchar* string) {
  static const auto try_string = glib<GQuark (*)(const gchar*)>("g_quark_try_string");
  __tsan_acquire(&quark_lock);
  const GQuark q = try_string(string);
  __tsan_release(&quark_lock);
  return q;
}

const gchar* g_quark_to_string(GQuark quark) {
  static const auto to_string = glib<const gchar* (*)(GQuark)>("g_quark_to_string");
  __tsan_acquire(&quark_lock);
  const gchar* s = to_string(quark);
  __tsan_release(&quark_lock);
  return s;
}

const gchar* g_intern_string(const gchar* string) {
  static const auto intern = glib<const gchar* (*)(const gchar*)>("g_intern_string");
  __tsan_acquire(&quark_lock);
  const gchar* s = intern(string);
  __tsan_release(&quark_lock);
  return s;
}

const gchar* g_intern_static_string(const gchar* string) {
  static const auto intern = glib<const gchar* (*)(const gchar*)>("g_intern_static_string");
  __tsan_acquire(&quark_lock);
  const gchar* s = intern(string);
  __tsan_release(&quark_lock);
  return s;
}

}  // extern "C"
