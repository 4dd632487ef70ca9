// A simulated call (mediaflow/dial/caller.hpp) that presses a key once the host's first audio
// came back: the call is up then, on any protocol.
#pragma once

#include <mediaflow/dial/caller.hpp>

#include <string>

namespace mediaflow::test {

dial::CallResult run_call_pressing(dial::CallerOptions options, const std::string& digit);

}  // namespace mediaflow::test
