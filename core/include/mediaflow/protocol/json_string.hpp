// JSON string literals (and numbers) for the encoders that build JSON by hand (per-frame Twilio messages,
// log lines) instead of through json-glib.
#pragma once

#include <string>
#include <string_view>

namespace mediaflow::protocol {

// Appends `s` as a JSON string literal (with quotes). Control characters and DEL are escaped;
// the bytes are otherwise copied as they are (callers that may hold invalid UTF-8 fix it first).
void append_json_string(std::string& out, std::string_view s);

// A JSON number (or query value) in its shortest round-trip form, whatever the locale: 0.7,
// not 0.69999… or 0,7.
std::string json_number(double v);

}  // namespace mediaflow::protocol
