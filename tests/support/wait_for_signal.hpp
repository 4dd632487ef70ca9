// For the fakes run as processes: block SIGINT/SIGTERM first thing in main (before any thread
// exists, so every thread inherits the mask and the signal stays pending for the process),
// then wait for one of them with sigwait. No signal handler and no main-loop wake-up involved:
// a termination request cannot be lost however busy the server threads are.
#pragma once

namespace mediaflow::test {

void block_termination_signals();
// Blocks until SIGINT or SIGTERM arrives; returns the signal number.
int wait_for_termination_signal();

}  // namespace mediaflow::test
