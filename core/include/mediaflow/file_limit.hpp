// A process holding a socket (and files) per call needs more descriptors than the usual soft
// limit of 1024: raise the soft limit to the hard one, as servers do.
#pragma once

#include <cstdint>

namespace mediaflow {

// Raises RLIMIT_NOFILE's soft limit to its hard limit; returns the soft limit in force after
// (UINT64_MAX for unlimited, 0 when it could not be read).
std::uint64_t raise_open_file_limit();

}  // namespace mediaflow
