// Which GMainContext an element's network work runs on.
//
// In the host, a call's pipeline is driven from a worker loop: the worker makes its
// GMainContext the thread-default before changing the pipeline's state and pushes audio inline
// from that loop's thread. Vendor sockets must live on that same context (no thread per call).
// Elsewhere (gst-launch-1.0, `mediaflow run`, tests with appsrc) nobody may iterate the context
// that is current when the element starts, and sources attached there would never fire.
//
// Rule, decided once at start():
//  * the thread-default context is not the global default one → the host (or another
//    embedder) set it and iterates it: use it, no thread;
//  * it is the global default and the calling thread currently owns it (we are being called
//    from a dispatch of a loop running on it) → use it, no thread;
//  * otherwise → a private GMainContext with one thread running its loop, for this element.
// Everything touching the socket runs on the chosen context; invoke() runs a function there
// (inline when the caller is already on it, which is the host's audio path).
#pragma once

#include <glib.h>

#include <functional>

namespace mediaflow::gstutil {

class LoopContext {
 public:
  explicit LoopContext(const char* thread_name);
  ~LoopContext();  // stops and joins the private thread, if any
  LoopContext(const LoopContext&) = delete;
  LoopContext& operator=(const LoopContext&) = delete;

  GMainContext* context() const { return context_; }
  bool has_own_thread() const { return thread_ != nullptr; }
  // True on the thread that iterates the context right now.
  bool is_current() const { return g_main_context_is_owner(context_); }
  // Runs `fn` on the context: inline when already there, else queued.
  void invoke(std::function<void()> fn);

 private:
  static gpointer run_thread(gpointer self);
  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;
  GThread* thread_ = nullptr;
  GMutex mutex_;
  GCond running_cond_;
  bool running_ = false;
};

}  // namespace mediaflow::gstutil
