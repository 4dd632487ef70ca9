// One problem found in a pipeline file, located at the offending value.
#pragma once

#include <string>
#include <vector>

namespace mediaflow::pipeline {

// 1-based line and column (columns count UTF-8 characters); 0 when unknown.
struct SourcePos {
  int line = 0;
  int col = 0;
};

struct Diagnostic {
  std::string file;
  SourcePos pos;
  std::string message;
  // "file:line:col: message" — the one format every tool and log line uses.
  std::string str() const;
};

using Diagnostics = std::vector<Diagnostic>;

// In file order (line, then column); stable for equal positions.
void sort_by_position(Diagnostics& diags);

// Every diagnostic on its own line (each ending in '\n').
std::string to_string(const Diagnostics& diags);

}  // namespace mediaflow::pipeline
