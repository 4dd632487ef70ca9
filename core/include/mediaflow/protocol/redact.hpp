// Identifiers as they may appear in logs at info level: never a full call SID.
#pragma once

#include <string>
#include <string_view>

namespace mediaflow::protocol {

// "CA" + first 6 hex of SHA-256(sid): stable per call (log lines correlate), not reversible.
std::string redact_sid(std::string_view sid);

}  // namespace mediaflow::protocol
