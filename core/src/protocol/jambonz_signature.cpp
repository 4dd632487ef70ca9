#include <mediaflow/protocol/jambonz_signature.hpp>
#include <mediaflow/protocol/constant_time.hpp>

#include <glib.h>

#include <charconv>
#include <optional>
#include <vector>

namespace mediaflow::protocol::jambonz {

const char* signature_verdict_text(SignatureVerdict verdict) {
  switch (verdict) {
    case SignatureVerdict::kValid: return "valid";
    case SignatureVerdict::kNoSecret: return "no webhook secret configured";
    case SignatureVerdict::kMissingHeader: return "no Jambonz-Signature header";
    case SignatureVerdict::kMalformedHeader: return "Jambonz-Signature is not t=<seconds>,v1=<hex>";
    case SignatureVerdict::kNoV1Signature: return "Jambonz-Signature has no v1 signature";
    case SignatureVerdict::kMismatch: return "Jambonz-Signature does not match the body";
    case SignatureVerdict::kOutsideTolerance: return "Jambonz-Signature timestamp outside the tolerance";
  }
  return "?";
}

namespace {

struct ParsedHeader {
  std::string_view timestamp_text;  // as signed: the HMAC covers these exact digits
  std::int64_t timestamp = 0;
  std::vector<std::string_view> v1;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Stripe's grammar: comma-separated `key=value` items; `t` once; `v1` any number of times;
// other schemes ignored. Stricter than the Node verifier in two places, both of which jambonz
// never produces: an item without '=' and a second `t` are refused rather than skipped or
// last-wins, so the header is read one way only.
std::optional<ParsedHeader> parse_header(std::string_view header) {
  ParsedHeader p;
  bool have_t = false;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const std::string_view item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "t") {
      // Unix seconds: 1 to 12 decimal digits (no sign, no spaces), read without overflow.
      if (have_t || value.empty() || value.size() > 12) return std::nullopt;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), p.timestamp);
      if (ec != std::errc() || end != value.data() + value.size() || value.front() == '-') return std::nullopt;
      p.timestamp_text = value;
      have_t = true;
    } else if (key == "v1") {
      if (p.v1.size() == kMaxSignatureV1Values) return std::nullopt;
      p.v1.push_back(value);
    }
  }
  if (!have_t) return std::nullopt;
  return p;
}

std::string hmac_hex(std::string_view secret, std::string_view timestamp_text, std::string_view body) {
  GHmac* hmac = g_hmac_new(G_CHECKSUM_SHA256, reinterpret_cast<const guchar*>(secret.data()), secret.size());
  g_hmac_update(hmac, reinterpret_cast<const guchar*>(timestamp_text.data()), static_cast<gssize>(timestamp_text.size()));
  g_hmac_update(hmac, reinterpret_cast<const guchar*>("."), 1);
  g_hmac_update(hmac, reinterpret_cast<const guchar*>(body.data()), static_cast<gssize>(body.size()));
  std::string hex = g_hmac_get_string(hmac);  // lower-case hex, owned by the GHmac
  g_hmac_unref(hmac);
  return hex;
}

}  // namespace

SignatureVerdict verify_jambonz_signature(std::string_view header, std::string_view body, std::string_view secret,
                                          std::int64_t now_unix_seconds, std::int64_t tolerance_seconds) {
  if (secret.empty()) return SignatureVerdict::kNoSecret;
  if (trim(header).empty()) return SignatureVerdict::kMissingHeader;
  if (header.size() > kMaxSignatureHeaderBytes) return SignatureVerdict::kMalformedHeader;
  const auto parsed = parse_header(header);
  if (!parsed) return SignatureVerdict::kMalformedHeader;
  if (parsed->v1.empty()) return SignatureVerdict::kNoV1Signature;

  const std::string expected = hmac_hex(secret, parsed->timestamp_text, body);
  bool match = false;
  for (const std::string_view candidate : parsed->v1) match |= constant_time_equals(expected, candidate);
  if (!match) return SignatureVerdict::kMismatch;

  // Both directions: a timestamp far in the future is as unlike jambonz as a stale one.
  std::int64_t age = 0;
  if (tolerance_seconds < 0 || __builtin_sub_overflow(now_unix_seconds, parsed->timestamp, &age) ||
      age > tolerance_seconds || age < -tolerance_seconds)
    return SignatureVerdict::kOutsideTolerance;
  return SignatureVerdict::kValid;
}

std::string jambonz_signature(std::string_view body, std::string_view secret, std::int64_t timestamp) {
  return hmac_hex(secret, std::to_string(timestamp), body);
}

std::string jambonz_signature_header(std::string_view body, std::string_view secret, std::int64_t timestamp) {
  return "t=" + std::to_string(timestamp) + ",v1=" + jambonz_signature(body, secret, timestamp);
}

}  // namespace mediaflow::protocol::jambonz
