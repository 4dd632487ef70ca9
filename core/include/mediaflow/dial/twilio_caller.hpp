// The simulated Twilio Media Streams caller is the simulated caller (caller.hpp) with its
// default protocol; the name stays for the code written against it.
#pragma once

#include <mediaflow/dial/caller.hpp>

namespace mediaflow::dial {

using TwilioCaller = Caller;

}  // namespace mediaflow::dial
