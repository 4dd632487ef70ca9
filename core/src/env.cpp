#include <mediaflow/env.hpp>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace mediaflow::env {

const char* value(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

unsigned long number(const char* name, unsigned long fallback, unsigned long max) {
  const char* v = value(name);
  if (!v) return fallback;
  char* end = nullptr;
  errno = 0;
  unsigned long n = std::strtoul(v, &end, 10);
  if (errno || *end || n > max || v[0] == '-') {
    throw std::invalid_argument(std::string(name) + ": expected a number up to " +
                                std::to_string(max) + ", got '" + v + "'");
  }
  return n;
}

void string(const char* name, std::string& out) {
  if (const char* v = value(name)) out = v;
}

bool flag(const char* name, bool fallback) {
  const char* v = value(name);
  if (!v) return fallback;
  const std::string s(v);
  if (s == "1" || s == "true" || s == "yes") return true;
  if (s == "0" || s == "false" || s == "no") return false;
  throw std::invalid_argument(std::string(name) + ": expected 1 or 0, got '" + s + "'");
}

}  // namespace mediaflow::env
