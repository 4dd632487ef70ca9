// Property checks inside fuzz targets: a broken property must be a crash, so that libFuzzer
// saves the input (abort() is one) — assert() would vanish in a release build.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, what)                                                    \
  do {                                                                                 \
    if (!(condition)) {                                                                \
      std::fprintf(stderr, "fuzz property violated at %s:%d: %s (%s)\n", __FILE__, __LINE__, \
                   what, #condition);                                                  \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)
