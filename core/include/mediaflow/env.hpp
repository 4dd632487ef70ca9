// Reading configuration from the environment, with errors that name the variable.
#pragma once

#include <string>

namespace mediaflow::env {

// The value, or nullptr when unset or empty.
const char* value(const char* name);
// A decimal number up to `max`; `fallback` when unset. Throws std::invalid_argument otherwise.
unsigned long number(const char* name, unsigned long fallback, unsigned long max);
// Sets `out` when the variable is set and not empty.
void string(const char* name, std::string& out);
// "1"/"true"/"yes" → true, "0"/"false"/"no" → false, unset → fallback; else throws.
bool flag(const char* name, bool fallback);

}  // namespace mediaflow::env
