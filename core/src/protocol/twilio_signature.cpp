#include <mediaflow/protocol/twilio_signature.hpp>

#include <glib.h>

#include <algorithm>
#include <optional>

namespace mediaflow::protocol {
namespace {

// Splits "scheme://authority/rest" at the authority; nullopt for anything else.
struct UrlParts {
  std::string_view scheme, host, port, rest;
};

std::optional<UrlParts> split_url(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  UrlParts p;
  p.scheme = url.substr(0, sep);
  auto authority_start = sep + 3;
  auto authority_end = url.find_first_of("/?#", authority_start);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string_view authority = url.substr(authority_start, authority_end - authority_start);
  p.rest = url.substr(authority_end);
  // The port is after the last ':' unless that ':' is inside an IPv6 literal.
  auto colon = authority.rfind(':');
  auto bracket = authority.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    p.host = authority.substr(0, colon);
    p.port = authority.substr(colon + 1);
  } else {
    p.host = authority;
  }
  if (p.host.empty()) return std::nullopt;
  return p;
}

std::string_view default_port(std::string_view scheme) {
  if (scheme.size() == 5 && g_ascii_strncasecmp(scheme.data(), "https", 5) == 0) return "443";
  if (scheme.size() == 4 && g_ascii_strncasecmp(scheme.data(), "http", 4) == 0) return "80";
  return {};
}

// The URL variants twilio-node accepts: as given, with the default port, without it.
std::vector<std::string> url_variants(std::string_view url) {
  std::vector<std::string> out{std::string(url)};
  auto parts = split_url(url);
  if (!parts) return out;
  auto port = default_port(parts->scheme);
  if (port.empty()) return out;
  std::string prefix = std::string(parts->scheme) + "://" + std::string(parts->host);
  if (parts->port.empty()) out.push_back(prefix + ":" + std::string(port) + std::string(parts->rest));
  else if (parts->port == port) out.push_back(prefix + std::string(parts->rest));
  return out;
}

}  // namespace

std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             const FormParams& params) {
  FormParams sorted = params;
  std::sort(sorted.begin(), sorted.end());  // by name, then value (byte order)
  std::string data(url);
  for (const auto& [name, value] : sorted) {
    data += name;
    data += value;
  }
  GHmac* hmac = g_hmac_new(G_CHECKSUM_SHA1, reinterpret_cast<const guchar*>(auth_token.data()),
                           auth_token.size());
  g_hmac_update(hmac, reinterpret_cast<const guchar*>(data.data()),
                static_cast<gssize>(data.size()));
  guint8 digest[20];
  gsize digest_len = sizeof digest;
  g_hmac_get_digest(hmac, digest, &digest_len);
  g_hmac_unref(hmac);
  gchar* b64 = g_base64_encode(digest, digest_len);
  std::string out(b64);
  g_free(b64);
  return out;
}

bool twilio_signature_valid(std::string_view auth_token, std::string_view signature,
                            std::string_view url, const FormParams& params) {
  if (auth_token.empty() || signature.empty()) return false;
  bool valid = false;
  for (const auto& candidate : url_variants(url))
    valid |= constant_time_equals(twilio_signature(auth_token, candidate, params), signature);
  return valid;
}

}  // namespace mediaflow::protocol
