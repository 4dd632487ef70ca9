// Standard Webhooks signing (standardwebhooks.com, "Signature scheme"): the signed content is
// "{webhook-id}.{webhook-timestamp}.{body}", signed with HMAC-SHA256 (GLib's GHmac) under the
// secret's bytes; the header value is "v1,<base64 signature>". The secret is given as
// "whsec_<base64>" (a bare base64 string is accepted too).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::evidence {

// The secret's key bytes; nullopt with *error when it is not (whsec_)base64 or is empty.
std::optional<std::vector<std::uint8_t>> decode_webhook_secret(std::string_view secret, std::string* error = nullptr);

// "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>".
std::string sign_webhook(const std::vector<std::uint8_t>& key, std::string_view id, std::int64_t timestamp,
                         std::string_view body);

}  // namespace mediaflow::evidence
