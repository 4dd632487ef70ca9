#include <mediaflow/gstutil/secret_property.hpp>

#include <mediaflow/protocol/redact.hpp>

namespace mediaflow::gstutil {

bool is_secret_property(const GParamSpec* pspec) {
  if (!pspec || !(pspec->flags & G_PARAM_WRITABLE)) return false;
  return !(pspec->flags & G_PARAM_READABLE) || protocol::is_secret_name(pspec->name);
}

}  // namespace mediaflow::gstutil
