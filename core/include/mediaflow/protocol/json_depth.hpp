// A bound on JSON nesting, checked before text reaches json-glib. json-glib parses arrays and
// objects recursively: ~100,000 nested '[' overflow the stack (a 100 KB message from a vendor,
// a pipeline file). This pre-scan is one pass without recursion; strings are skipped, the
// syntax is left to the real parser.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace mediaflow::protocol {

// Limits used for untrusted JSON: vendor messages and tokens are a few levels deep.
constexpr unsigned kMaxVendorJsonDepth = 32;
// Pipeline files (docs/pipeline-files.md); deeper than any real pipeline needs.
constexpr unsigned kMaxPipelineJsonDepth = 64;

// The byte offset of the first '[' or '{' that opens level max_depth + 1; nullopt when the
// text never nests deeper than max_depth.
std::optional<std::size_t> json_nesting_beyond(std::string_view text, unsigned max_depth);

}  // namespace mediaflow::protocol
