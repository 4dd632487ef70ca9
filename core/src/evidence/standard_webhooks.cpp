#include <mediaflow/evidence/standard_webhooks.hpp>

#include <glib.h>

namespace mediaflow::evidence {

std::optional<std::vector<std::uint8_t>> decode_webhook_secret(std::string_view secret, std::string* error) {
  constexpr std::string_view kPrefix = "whsec_";
  if (secret.starts_with(kPrefix)) secret.remove_prefix(kPrefix.size());
  // g_base64_decode accepts garbage silently: check the alphabet and padding first.
  bool ok = !secret.empty() && secret.size() % 4 == 0;
  for (std::size_t i = 0; ok && i < secret.size(); ++i) {
    const char c = secret[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    const bool pad = c == '=' && i + 2 >= secret.size();
    ok = alpha || pad;
  }
  if (!ok) {
    if (error) *error = "expected whsec_ followed by base64";
    return std::nullopt;
  }
  const std::string text(secret);
  gsize n = 0;
  guchar* raw = g_base64_decode(text.c_str(), &n);
  std::vector<std::uint8_t> key(raw, raw + n);
  g_free(raw);
  if (key.empty()) {
    if (error) *error = "the secret decodes to no bytes";
    return std::nullopt;
  }
  return key;
}

std::string sign_webhook(const std::vector<std::uint8_t>& key, std::string_view id, std::int64_t timestamp,
                         std::string_view body) {
  GHmac* hmac = g_hmac_new(G_CHECKSUM_SHA256, key.data(), key.size());
  const std::string ts = std::to_string(timestamp);
  g_hmac_update(hmac, reinterpret_cast<const guchar*>(id.data()), static_cast<gssize>(id.size()));
  g_hmac_update(hmac, reinterpret_cast<const guchar*>("."), 1);
  g_hmac_update(hmac, reinterpret_cast<const guchar*>(ts.data()), static_cast<gssize>(ts.size()));
  g_hmac_update(hmac, reinterpret_cast<const guchar*>("."), 1);
  g_hmac_update(hmac, reinterpret_cast<const guchar*>(body.data()), static_cast<gssize>(body.size()));
  guint8 digest[32];
  gsize len = sizeof digest;
  g_hmac_get_digest(hmac, digest, &len);
  g_hmac_unref(hmac);
  gchar* b64 = g_base64_encode(digest, len);
  std::string out = std::string("v1,") + b64;
  g_free(b64);
  return out;
}

}  // namespace mediaflow::evidence
