// Identifiers as they may appear in logs at info level: never a full call SID.
#pragma once

#include <string>
#include <string_view>

namespace mediaflow::protocol {

// "CA" + first 6 hex of SHA-256(sid): stable per call (log lines correlate), not reversible.
std::string redact_sid(std::string_view sid);

// Whether a name (a property, a query parameter, a header) says its value is a secret: it
// contains token, secret, password, passwd, passphrase, signature, auth or credential, or is
// "key" or ends in "key" ("api-key", "xi-api-key", "apikey", "stream_key"), or ends in "-pw"
// or "_pw". Case-insensitive. What a stock element or a URL calls a secret, so that values we
// do not control are hidden too.
bool is_secret_name(std::string_view name);

// `text` with the credentials of any URL in it replaced by "<redacted>": the password of
// "scheme://user:password@host", and the value of every query parameter whose name
// is_secret_name() ("wss://h/c?agent_id=a&token=<redacted>"). Other text is unchanged.
std::string redact_url_credentials(std::string_view text);

}  // namespace mediaflow::protocol
