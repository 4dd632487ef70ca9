// X-Twilio-Signature of Twilio webhooks (see shared protocols.md):
//   data      = the full URL Twilio requested (with its query string)
//               + for each POST parameter, sorted by name (then value): name + value
//   signature = base64(HMAC-SHA1(auth_token, data))
// A GET webhook signs the URL alone (pass no parameters). Like twilio-node, a URL is accepted
// with and without an explicit default port (:443 for https, :80 for http), since what Twilio
// signed depends on how the webhook URL was configured.
#pragma once

#include <mediaflow/protocol/constant_time.hpp>  // the comparison the check uses

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mediaflow::protocol {

using FormParams = std::vector<std::pair<std::string, std::string>>;

// The signature Twilio computes for `url` and `params`.
std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             const FormParams& params);

// True when `signature` matches `url` as given, or `url` with its default port added or removed.
// Comparison is constant-time. An empty auth token or signature never validates.
bool twilio_signature_valid(std::string_view auth_token, std::string_view signature,
                            std::string_view url, const FormParams& params);

}  // namespace mediaflow::protocol
