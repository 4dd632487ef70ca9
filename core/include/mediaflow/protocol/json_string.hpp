// JSON string literals for the encoders that build JSON by hand (per-frame Twilio messages,
// log lines) instead of through json-glib.
#pragma once

#include <string>
#include <string_view>

namespace mediaflow::protocol {

// Appends `s` as a JSON string literal (with quotes). Control characters and DEL are escaped;
// the bytes are otherwise copied as they are (callers that may hold invalid UTF-8 fix it first).
void append_json_string(std::string& out, std::string_view s);

}  // namespace mediaflow::protocol
