// Comparing secrets (tokens, signatures) without telling an attacker where they differ.
#pragma once

#include <string_view>

namespace mediaflow::protocol {

// Constant-time equality (time depends on the lengths only, not on where bytes differ).
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace mediaflow::protocol
