#include <mediaflow/pipeline/diagnostic.hpp>

#include <mediaflow/pipeline/spec.hpp>

#include <algorithm>

namespace mediaflow::pipeline {

std::string Diagnostic::str() const {
  return file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.col) + ": " + message;
}

std::string to_string(const Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags) out += d.str() + "\n";
  return out;
}

void sort_by_position(Diagnostics& diags) {
  std::stable_sort(diags.begin(), diags.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.pos.line != b.pos.line ? a.pos.line < b.pos.line : a.pos.col < b.pos.col;
  });
}

const NodeSpec* PipelineSpec::find_node(std::string_view node_name) const {
  for (const auto& n : nodes)
    if (n.name == node_name) return &n;
  return nullptr;
}

}  // namespace mediaflow::pipeline
