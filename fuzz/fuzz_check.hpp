// The property checks of the fuzz targets: a failed check aborts, which
// libFuzzer reports as a crash with the input that caused it.

#pragma once

#include <cstdio>
#include <cstdlib>

#define TC_FUZZ_CHECK(cond)                                                    \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__,         \
                   __LINE__, #cond);                                           \
      std::abort();                                                            \
    }                                                                          \
  } while (false)
