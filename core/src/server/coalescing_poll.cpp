#include "server/coalescing_poll.hpp"

#include <time.h>

#include <algorithm>

namespace mediaflow::server {
namespace {

thread_local gint64 tls_interval_us = 0;
thread_local gint64 tls_last_wake_us = 0;

gint coalescing_poll(GPollFD* fds, guint nfds, gint timeout_ms) {
  if (timeout_ms != 0 && tls_interval_us > 0) {
    const gint64 now = g_get_monotonic_time();
    gint64 wait_us = tls_last_wake_us + tls_interval_us - now;
    if (timeout_ms > 0) wait_us = std::min<gint64>(wait_us, gint64(timeout_ms) * 1000);
    if (wait_us > 0) {
      timespec ts{0, static_cast<long>(wait_us * 1000)};
      clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, nullptr);
      // Whatever is ready now is taken at once; a timeout already covered by the sleep is due.
      if (timeout_ms > 0) timeout_ms = std::max<gint>(0, timeout_ms - static_cast<gint>(wait_us / 1000));
    }
  }
  const gint ready = g_poll(fds, nfds, timeout_ms);
  tls_last_wake_us = g_get_monotonic_time();
  return ready;
}

}  // namespace

void install_coalescing_poll(GMainContext* context, unsigned interval_us) {
  tls_interval_us = interval_us;
  if (interval_us > 0) g_main_context_set_poll_func(context, coalescing_poll);
}

}  // namespace mediaflow::server
