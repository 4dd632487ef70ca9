#include <mediaflow/gstutil/secret_property.hpp>

namespace mediaflow::gstutil {

bool is_secret_property(const GParamSpec* pspec) {
  return pspec && (pspec->flags & G_PARAM_WRITABLE) && !(pspec->flags & G_PARAM_READABLE);
}

}  // namespace mediaflow::gstutil
