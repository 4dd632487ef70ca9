// The parsed form of a pipeline file (see docs/pipeline-files.md). Plain data: every value
// remembers where it was written so later checks (validation, build) can point at it.
#pragma once

#include <mediaflow/pipeline/diagnostic.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::pipeline {

// The JSON type a property value was written with; decides which property types it may set.
enum class ValueKind { String, Integer, Number, Boolean };

struct PropertySpec {
  std::string name;
  ValueKind kind = ValueKind::String;
  // Strings as written (variables not yet substituted); numbers and booleans as JSON text.
  std::string text;
  SourcePos name_pos;
  SourcePos value_pos;
};

struct NodeSpec {
  std::string name;
  std::string element;  // empty when the file lacked it (already reported)
  std::vector<PropertySpec> properties;
  SourcePos pos;  // the node object
  SourcePos name_pos;
  SourcePos element_pos;
};

// "node" or "node.pad"; pad empty means "any compatible pad" (request pads included).
struct LinkEnd {
  std::string node;
  std::string pad;
};

struct LinkSpec {
  LinkEnd from;
  LinkEnd to;
  std::optional<std::string> caps;
  SourcePos pos;
  SourcePos from_pos;
  SourcePos to_pos;
  SourcePos caps_pos;
};

struct PipelineSpec {
  std::string file;  // as given to the parser; prefixes every diagnostic
  std::string name;
  std::string description;
  std::vector<NodeSpec> nodes;
  std::vector<LinkSpec> links;
  SourcePos name_pos;

  const NodeSpec* find_node(std::string_view node_name) const;
  Diagnostic diag(SourcePos pos, std::string message) const { return {file, pos, std::move(message)}; }
};

}  // namespace mediaflow::pipeline
