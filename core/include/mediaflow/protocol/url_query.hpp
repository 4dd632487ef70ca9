// Query parameters for the vendor URLs every codec builds (Deepgram, ElevenLabs, AssemblyAI).
#pragma once

#include <string>
#include <string_view>

namespace mediaflow::protocol {

// Appends name=value to `url`: '?' before the first parameter, '&' before the others (a URL that
// already ends in '?' or '&' gets none). The value is percent-escaped: everything but RFC 3986's
// unreserved characters, so '&', '=', '/' and spaces in ids and tokens stay inside the value.
void append_query_param(std::string& url, std::string_view name, std::string_view value);

}  // namespace mediaflow::protocol
