// JSON numbers to C++ integers without undefined behaviour. A JSON number from a peer may be
// anything (4e85, -1, 1e10 for an `int`); converting a double that does not fit, or narrowing
// an int64, must be refused, not cast. Every reader of untrusted JSON goes through here.
#pragma once

#include <json-glib/json-glib.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

namespace mediaflow::protocol {

// `value` truncated toward zero (as a cast would) when the result fits in Int; nullopt when
// it is not finite or out of Int's range.
template <typename Int>
std::optional<Int> checked_integer(double value) {
  static_assert(std::is_integral_v<Int>);
  if (!std::isfinite(value)) return std::nullopt;
  const double whole = std::trunc(value);
  // 2^digits is exact as a double; the largest Int is 2^digits - 1, the smallest -2^digits.
  const double limit = std::ldexp(1.0, std::numeric_limits<Int>::digits);
  const double lowest = std::is_signed_v<Int> ? -limit : 0.0;
  if (whole >= limit || whole < lowest) return std::nullopt;
  return static_cast<Int>(whole);
}

template <typename Int>
std::optional<Int> checked_integer(std::int64_t value) {
  static_assert(std::is_integral_v<Int>);
  if constexpr (std::is_signed_v<Int>) {
    if (value < static_cast<std::int64_t>(std::numeric_limits<Int>::min())) return std::nullopt;
  } else {
    if (value < 0) return std::nullopt;
  }
  if (static_cast<std::uint64_t>(value > 0 ? value : 0) > static_cast<std::uint64_t>(std::numeric_limits<Int>::max()))
    return std::nullopt;
  return static_cast<Int>(value);
}

// The integer a JSON number node holds (an int64, or a double truncated), when it fits in
// Int; nullopt for any other node. json_node_get_int() on a double node casts inside
// json-glib, so the double is read as a double.
template <typename Int>
std::optional<Int> json_integer(JsonNode* node) {
  if (!node || !JSON_NODE_HOLDS_VALUE(node)) return std::nullopt;
  const GType type = json_node_get_value_type(node);
  if (type == G_TYPE_INT64) return checked_integer<Int>(static_cast<std::int64_t>(json_node_get_int(node)));
  if (type == G_TYPE_DOUBLE) return checked_integer<Int>(json_node_get_double(node));
  return std::nullopt;
}

}  // namespace mediaflow::protocol
