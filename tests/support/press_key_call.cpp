#include "support/press_key_call.hpp"

namespace mediaflow::test {

dial::CallResult run_call_pressing(dial::CallerOptions options, const std::string& digit) {
  GMainContext* ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  dial::CallResult out;
  {
    dial::Caller caller(ctx, std::move(options));
    bool done = false, pressed = false;
    caller.start([&](const dial::CallResult& r) {
      out = r;
      done = true;
    });
    while (!done) {
      g_main_context_iteration(ctx, TRUE);
      if (!pressed && caller.result().frames_received > 0) {
        caller.send_dtmf(digit);
        pressed = true;
      }
    }
  }
  while (g_main_context_pending(ctx)) g_main_context_iteration(ctx, FALSE);
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
  return out;
}

}  // namespace mediaflow::test
