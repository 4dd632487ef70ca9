#include <mediaflow/protocol/redact.hpp>

#include <glib.h>

#include <algorithm>

namespace mediaflow::protocol {

std::string redact_sid(std::string_view sid) {
  if (sid.empty()) return "-";
  gchar* hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
                                           reinterpret_cast<const guchar*>(sid.data()), sid.size());
  std::string prefix(sid.substr(0, sid.size() >= 2 ? 2 : sid.size()));
  std::string out = prefix + "~" + std::string(hex, 6);
  g_free(hex);
  return out;
}

namespace {

constexpr std::string_view kRedacted = "<redacted>";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = g_ascii_tolower(c);
  return out;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

bool url_char(char c) { return !g_ascii_isspace(c) && c != '"' && c != '\'' && c != '<' && c != '>'; }

}  // namespace

bool is_secret_name(std::string_view name) {
  const std::string n = lower(name);
  for (std::string_view word : {"token", "secret", "password", "passwd", "passphrase", "signature", "auth", "credential"})
    if (n.find(word) != std::string::npos) return true;
  return ends_with(n, "key") || ends_with(n, "-pw") || ends_with(n, "_pw");
}

std::string redact_url_credentials(std::string_view text) {
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t scheme_end = text.find("://", pos);
    if (scheme_end == std::string_view::npos) break;
    std::size_t end = scheme_end + 3;
    while (end < text.size() && url_char(text[end])) ++end;
    out.append(text.substr(pos, scheme_end + 3 - pos));
    std::string_view rest = text.substr(scheme_end + 3, end - scheme_end - 3);
    // Authority: "user:password@" before the first '/', '?' or '#'.
    const std::size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
    const std::size_t at = rest.substr(0, authority_end).rfind('@');
    if (at != std::string_view::npos) {
      const std::size_t colon = rest.substr(0, at).find(':');
      if (colon != std::string_view::npos) {
        out.append(rest.substr(0, colon + 1));
        out.append(kRedacted);
        out.push_back('@');
        rest.remove_prefix(at + 1);
      }
    }
    const std::size_t query = rest.find('?');
    out.append(rest.substr(0, query == std::string_view::npos ? rest.size() : query + 1));
    if (query != std::string_view::npos) {
      std::string_view params = rest.substr(query + 1);
      bool first = true;
      while (!params.empty()) {
        const std::size_t amp = params.find_first_of("&#");
        std::string_view param = params.substr(0, amp);
        if (!first) out.push_back('&');
        first = false;
        const std::size_t eq = param.find('=');
        if (eq != std::string_view::npos && is_secret_name(param.substr(0, eq))) {
          out.append(param.substr(0, eq + 1));
          out.append(kRedacted);
        } else {
          out.append(param);
        }
        if (amp == std::string_view::npos) break;
        if (params[amp] == '#') {
          out.append(params.substr(amp));
          break;
        }
        params.remove_prefix(amp + 1);
      }
    }
    pos = end;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace mediaflow::protocol
