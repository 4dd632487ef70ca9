// The `Jambonz-Signature` header of jambonz webhooks, modelled on Stripe's:
//   Jambonz-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
// (jambonz-feature-server lib/utils/base-requestor.js signs; @jambonz/node-client
// WebhookResponse.verifyJambonzSignature verifies). The secret is the account's webhook secret,
// JAMBONZ_WEBHOOK_SECRET here. The body is the request body exactly as received: jambonz signs
// the same JSON.stringify() text it sends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mediaflow::protocol::jambonz {

inline constexpr std::string_view kSignatureHeader = "Jambonz-Signature";
// The tolerance of jambonz's own verifier (5 minutes).
inline constexpr std::int64_t kDefaultSignatureToleranceSeconds = 300;
// A real header is ~80 bytes; these bound the work a forged one can ask for.
inline constexpr std::size_t kMaxSignatureHeaderBytes = 1024;
inline constexpr std::size_t kMaxSignatureV1Values = 8;

enum class SignatureVerdict : std::uint8_t {
  kValid,
  kNoSecret,          // the secret is empty: nothing can be verified (configuration)
  kMissingHeader,     // the header is empty or absent
  kMalformedHeader,   // not `k=v` items, no/two/non-numeric `t`, or over the bounds above
  kNoV1Signature,     // no `v1=` item (another scheme only)
  kMismatch,          // no `v1` is the HMAC of this timestamp and body under the secret
  kOutsideTolerance,  // signed, but `t` is further from now than the tolerance (old or future)
};
// A short reason for a refusal (static text, safe to log: holds no header or body bytes).
const char* signature_verdict_text(SignatureVerdict verdict);

// Checks every `v1` value (a header may carry several while the secret is rotated) against the
// HMAC in constant time, then the timestamp: |now - t| <= tolerance_seconds.
SignatureVerdict verify_jambonz_signature(std::string_view header, std::string_view body,
                                          std::string_view secret, std::int64_t now_unix_seconds,
                                          std::int64_t tolerance_seconds = kDefaultSignatureToleranceSeconds);

// Lower-case hex HMAC-SHA256(secret, "<timestamp>.<body>"), and the header jambonz would send
// (`t=<timestamp>,v1=<hex>`): tests and the call simulator.
std::string jambonz_signature(std::string_view body, std::string_view secret, std::int64_t timestamp);
std::string jambonz_signature_header(std::string_view body, std::string_view secret, std::int64_t timestamp);

}  // namespace mediaflow::protocol::jambonz
