#include <mediaflow/pipeline/diagnostic.hpp>

#include <mediaflow/pipeline/spec.hpp>

namespace mediaflow::pipeline {

std::string Diagnostic::str() const {
  return file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.col) + ": " + message;
}

std::string to_string(const Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags) out += d.str() + "\n";
  return out;
}

const NodeSpec* PipelineSpec::find_node(std::string_view node_name) const {
  for (const auto& n : nodes)
    if (n.name == node_name) return &n;
  return nullptr;
}

}  // namespace mediaflow::pipeline
