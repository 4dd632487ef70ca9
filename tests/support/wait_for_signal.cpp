#include "support/wait_for_signal.hpp"

#include <glib-unix.h>
#include <glib.h>

#include <csignal>

namespace mediaflow::test {

void wait_for_termination_signal() {
  GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
  auto quit = [](gpointer l) -> gboolean {
    g_main_loop_quit(static_cast<GMainLoop*>(l));
    return G_SOURCE_CONTINUE;  // both sources are removed below
  };
  const guint sigint = g_unix_signal_add(SIGINT, quit, loop);
  const guint sigterm = g_unix_signal_add(SIGTERM, quit, loop);
  g_main_loop_run(loop);
  g_source_remove(sigint);
  g_source_remove(sigterm);
  g_main_loop_unref(loop);
}

}  // namespace mediaflow::test
