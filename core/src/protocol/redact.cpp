#include <mediaflow/protocol/redact.hpp>

#include <glib.h>

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

}  // namespace mediaflow::protocol
