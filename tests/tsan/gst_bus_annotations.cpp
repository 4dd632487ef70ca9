// ThreadSanitizer cannot see how a GstMessage travels through a GstBus: gst_bus_post() pushes it
// on the bus's GstAtomicQueue and the reader pops it with atomics compiled into libgstreamer,
// which is not instrumented. Everything the posting thread wrote into the message (the
// structure's strings and GValues) then reads as racing with the reader's reads and with the
// frees when the reader unrefs the message. This file makes that hand-off visible, the same
// way glib_sync_annotations.cpp does for GMutex:
//  - post side: a GstTracer hooked on "element-post-message-pre" (GStreamer calls it on the
//    posting thread in gst_element_post_message(), before the message reaches the bus, for
//    every poster: our plugins and GStreamer's own elements alike) does __tsan_release(message);
//    gst_bus_post() called directly from outside libgstreamer does the same;
//  - read side: gst_bus_pop*/gst_bus_timed_pop* and bus watches, called from our code, do
//    __tsan_acquire(message) on the message they return/dispatch.
// That is the happens-before the atomic queue really provides (push is a release, pop an
// acquire), keyed on the message's address. Calls made inside libgstreamer bind internally and
// are not seen; none of our readers pops the bus that way. The tracer is registered right after
// gst_init()/gst_init_check(), interposed here like the pops (executables of the TSan build
// only, see CMakeLists.txt).
#include <gst/gst.h>

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <mutex>

namespace {

template <typename Fn>
Fn gst(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

struct TsanBusTracer {
  GstTracer parent;
};
struct TsanBusTracerClass {
  GstTracerClass parent_class;
};

void on_post_message_pre(GstTracer*, guint64, GstElement*, GstMessage* message) {
  __tsan_release(message);
}

// The last unref of a GstMiniObject frees it on whichever thread drops it; the order between
// another thread's reads and that free is the refcount's atomic decrement inside libgstreamer.
// Unrefs from our code release the object first (gst_mini_object_unref below); the free is
// preceded by this acquire (GStreamer calls the hook on the freeing thread before ->free()).
void on_mini_object_destroyed(GstTracer*, guint64, GstMiniObject* object) {
  __tsan_acquire(object);
}

GType tsan_bus_tracer_get_type() {
  static GType type = g_type_register_static_simple(
      GST_TYPE_TRACER, "MediaflowTsanBusTracer", sizeof(TsanBusTracerClass), nullptr,
      sizeof(TsanBusTracer), nullptr, GTypeFlags(0));
  return type;
}

void register_tracer() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Kept for the process's lifetime: the hook list holds its own reference.
    auto* tracer = static_cast<GstTracer*>(g_object_new(tsan_bus_tracer_get_type(), nullptr));
    gst_object_ref_sink(tracer);
    gst_tracing_register_hook(tracer, "element-post-message-pre",
                              G_CALLBACK(&on_post_message_pre));
    gst_tracing_register_hook(tracer, "mini-object-destroyed",
                              G_CALLBACK(&on_mini_object_destroyed));
  });
}

GstMessage* acquired(GstMessage* message) {
  if (message) __tsan_acquire(message);
  return message;
}

// A bus watch is dispatched inside libgstreamer (its GSource pops the message internally);
// the user's function is wrapped so the acquire happens before it runs.
struct Watch {
  GstBusFunc func;
  gpointer user_data;
  GDestroyNotify notify;
};

gboolean watch_dispatch(GstBus* bus, GstMessage* message, gpointer data) {
  auto* w = static_cast<Watch*>(data);
  __tsan_acquire(message);
  return w->func(bus, message, w->user_data);
}

void watch_free(gpointer data) {
  auto* w = static_cast<Watch*>(data);
  if (w->notify) w->notify(w->user_data);
  delete w;
}

}  // namespace

extern "C" {

void gst_init(int* argc, char** argv[]) {
  static const auto init = gst<void (*)(int*, char***)>("gst_init");
  init(argc, argv);
  register_tracer();
}

gboolean gst_init_check(int* argc, char** argv[], GError** error) {
  static const auto init_check = gst<gboolean (*)(int*, char***, GError**)>("gst_init_check");
  const gboolean ok = init_check(argc, argv, error);
  if (ok) register_tracer();
  return ok;
}

void gst_mini_object_unref(GstMiniObject* object) {
  static const auto unref = gst<void (*)(GstMiniObject*)>("gst_mini_object_unref");
  __tsan_release(object);
  __tsan_acquire(object);  // in case this unref is the last: what the others released
  unref(object);
}

gboolean gst_bus_post(GstBus* bus, GstMessage* message) {
  static const auto post = gst<gboolean (*)(GstBus*, GstMessage*)>("gst_bus_post");
  __tsan_release(message);
  return post(bus, message);
}

GstMessage* gst_bus_pop(GstBus* bus) {
  static const auto pop = gst<GstMessage* (*)(GstBus*)>("gst_bus_pop");
  return acquired(pop(bus));
}

GstMessage* gst_bus_pop_filtered(GstBus* bus, GstMessageType types) {
  static const auto pop = gst<GstMessage* (*)(GstBus*, GstMessageType)>("gst_bus_pop_filtered");
  return acquired(pop(bus, types));
}

GstMessage* gst_bus_timed_pop(GstBus* bus, GstClockTime timeout) {
  static const auto pop = gst<GstMessage* (*)(GstBus*, GstClockTime)>("gst_bus_timed_pop");
  return acquired(pop(bus, timeout));
}

GstMessage* gst_bus_timed_pop_filtered(GstBus* bus, GstClockTime timeout, GstMessageType types) {
  static const auto pop = gst<GstMessage* (*)(GstBus*, GstClockTime, GstMessageType)>(
      "gst_bus_timed_pop_filtered");
  return acquired(pop(bus, timeout, types));
}

GstMessage* gst_bus_poll(GstBus* bus, GstMessageType events, GstClockTime timeout) {
  static const auto poll = gst<GstMessage* (*)(GstBus*, GstMessageType, GstClockTime)>(
      "gst_bus_poll");
  return acquired(poll(bus, events, timeout));
}

guint gst_bus_add_watch_full(GstBus* bus, gint priority, GstBusFunc func, gpointer user_data,
                             GDestroyNotify notify) {
  static const auto add = gst<guint (*)(GstBus*, gint, GstBusFunc, gpointer, GDestroyNotify)>(
      "gst_bus_add_watch_full");
  return add(bus, priority, &watch_dispatch, new Watch{func, user_data, notify}, &watch_free);
}

guint gst_bus_add_watch(GstBus* bus, GstBusFunc func, gpointer user_data) {
  return gst_bus_add_watch_full(bus, G_PRIORITY_DEFAULT, func, user_data, nullptr);
}

}  // extern "C"
