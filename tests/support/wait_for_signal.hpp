// For the fakes run as processes: blocks until SIGINT or SIGTERM arrives.
#pragma once

namespace mediaflow::test {

void wait_for_termination_signal();

}  // namespace mediaflow::test
