#pragma once
// The heap in use as glibc's allocator reports it, for tests that bound what a component holds.
// A sanitizer's allocator replaces glibc's and reports nothing through mallinfo2; gcc says so with
// __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__ but clang does not, so such a test asks at run time
// and skips when the measure cannot move (it would pass whatever the component held).

#include <malloc.h>

#include <cstddef>
#include <cstdlib>

namespace mediaflow::test {

inline std::size_t heap_in_use() { return mallinfo2().uordblks; }

inline bool heap_is_measurable() {
  constexpr std::size_t kProbe = 64 * 1024;  // below glibc's mmap threshold: mmapped blocks are not in uordblks
  const std::size_t before = heap_in_use();
  auto* block = static_cast<volatile char*>(std::malloc(kProbe));
  block[0] = 1;
  const bool moved = heap_in_use() >= before + kProbe;
  std::free(const_cast<char*>(block));
  return moved;
}

}  // namespace mediaflow::test
