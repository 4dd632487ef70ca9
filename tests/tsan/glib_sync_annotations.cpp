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

}  // extern "C"
