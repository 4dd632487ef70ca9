#include <mediaflow/protocol/constant_time.hpp>

#include <algorithm>
#include <cstddef>

namespace mediaflow::protocol {

bool constant_time_equals(std::string_view a, std::string_view b) {
  // Fold the length difference in, and always walk the longer input.
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

}  // namespace mediaflow::protocol
