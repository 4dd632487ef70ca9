// A strict JSON (RFC 8259) scanner that records where every value and key starts, by JSON
// pointer. json-glib 1.6 keeps no positions and locates syntax errors loosely, so this scan
// runs first: it reports syntax errors at the exact character and feeds line:col to every
// later diagnostic.
#pragma once

#include <mediaflow/pipeline/diagnostic.hpp>

#include <map>
#include <string>
#include <string_view>

namespace mediaflow::pipeline {

struct JsonPositions {
  std::map<std::string, SourcePos> values;  // "/nodes/0/element" → start of the value
  std::map<std::string, SourcePos> keys;    // "/nodes/0/element" → start of its key
  SourcePos value(const std::string& pointer) const;
  SourcePos key(const std::string& pointer) const;  // falls back to the value
};

struct JsonSyntaxError {
  SourcePos pos;
  std::string message;
};

// False on the first syntax error (or a duplicate key), with *error set.
bool scan_json(std::string_view text, JsonPositions* out, JsonSyntaxError* error);

// RFC 6901 escaping of one pointer segment.
std::string pointer_segment(std::string_view key);

}  // namespace mediaflow::pipeline
