#include <mediaflow/pipeline/parser.hpp>

#include "pipeline/json_positions.hpp"

#include <json-glib/json-glib.h>

#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

namespace mediaflow::pipeline {
namespace {

bool is_node_name(std::string_view s) {
  if (s.empty()) return false;
  if (!(g_ascii_isalpha(s[0]) || s[0] == '_')) return false;
  for (char c : s)
    if (!(g_ascii_isalnum(c) || c == '_' || c == '-')) return false;
  return true;
}

const char* json_type_name(JsonNode* node) {
  switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT: return "an object";
    case JSON_NODE_ARRAY: return "an array";
    case JSON_NODE_NULL: return "null";
    case JSON_NODE_VALUE: break;
  }
  GType t = json_node_get_value_type(node);
  if (t == G_TYPE_STRING) return "a string";
  if (t == G_TYPE_BOOLEAN) return "a boolean";
  return "a number";
}

class SpecReader {
 public:
  SpecReader(const std::string& file, const JsonPositions& positions, PipelineSpec* spec, Diagnostics* errors)
      : file_(file), pos_(positions), spec_(spec), errors_(errors) {}

  void read(JsonNode* root) {
    if (!JSON_NODE_HOLDS_OBJECT(root)) {
      error(pos_.value(""), std::string("a pipeline file holds one JSON object, not ") + json_type_name(root));
      return;
    }
    JsonObject* obj = json_node_get_object(root);
    check_keys(obj, "", {"$schema", "name", "description", "nodes", "links"});
    spec_->name_pos = pos_.value("/name");
    if (auto s = string_member(obj, "", "name", true)) spec_->name = *s;
    if (auto s = string_member(obj, "", "description", false)) spec_->description = *s;

    JsonNode* nodes = json_object_get_member(obj, "nodes");
    if (!nodes) {
      error(pos_.value(""), "missing 'nodes' (an array of {\"name\", \"element\", \"properties\"})");
    } else if (!JSON_NODE_HOLDS_ARRAY(nodes)) {
      error(pos_.value("/nodes"), std::string("'nodes' must be an array, not ") + json_type_name(nodes));
    } else {
      JsonArray* arr = json_node_get_array(nodes);
      if (json_array_get_length(arr) == 0) error(pos_.value("/nodes"), "'nodes' is empty: a pipeline needs at least one node");
      for (guint i = 0; i < json_array_get_length(arr); ++i) read_node(json_array_get_element(arr, i), "/nodes/" + std::to_string(i));
    }

    JsonNode* links = json_object_get_member(obj, "links");
    if (links && !JSON_NODE_HOLDS_ARRAY(links)) {
      error(pos_.value("/links"), std::string("'links' must be an array, not ") + json_type_name(links));
    } else if (links) {
      JsonArray* arr = json_node_get_array(links);
      for (guint i = 0; i < json_array_get_length(arr); ++i) read_link(json_array_get_element(arr, i), "/links/" + std::to_string(i));
    }
  }

 private:
  void error(SourcePos pos, std::string message) { errors_->push_back({file_, pos, std::move(message)}); }

  void check_keys(JsonObject* obj, const std::string& ptr, std::initializer_list<const char*> allowed) {
    GList* members = json_object_get_members(obj);
    for (GList* l = members; l; l = l->next) {
      std::string key = static_cast<const char*>(l->data);
      bool ok = false;
      std::string list;
      for (const char* a : allowed) {
        ok = ok || key == a;
        if (std::string(a) != "$schema") list += std::string(list.empty() ? "" : ", ") + a;
      }
      if (!ok) error(pos_.key(ptr + "/" + pointer_segment(key)), "unknown key '" + key + "' (expected " + list + ")");
    }
    g_list_free(members);
  }

  std::optional<std::string> string_member(JsonObject* obj, const std::string& ptr, const char* key, bool required) {
    JsonNode* n = json_object_get_member(obj, key);
    std::string child = ptr + "/" + key;
    if (!n) {
      if (required) error(pos_.value(ptr), std::string("missing '") + key + "'");
      return std::nullopt;
    }
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
      error(pos_.value(child), std::string("'") + key + "' must be a string, not " + json_type_name(n));
      return std::nullopt;
    }
    return std::string(json_node_get_string(n));
  }

  void read_node(JsonNode* n, const std::string& ptr) {
    if (!JSON_NODE_HOLDS_OBJECT(n)) {
      error(pos_.value(ptr), std::string("a node must be an object {\"name\", \"element\", \"properties\"}, not ") + json_type_name(n));
      return;
    }
    JsonObject* obj = json_node_get_object(n);
    check_keys(obj, ptr, {"name", "element", "properties"});
    NodeSpec node;
    node.pos = pos_.value(ptr);
    node.name_pos = pos_.value(ptr + "/name");
    node.element_pos = pos_.value(ptr + "/element");
    auto name = string_member(obj, ptr, "name", true);
    if (name && !is_node_name(*name)) {
      error(node.name_pos, "bad node name '" + *name + "': use letters, digits, '_' and '-', starting with a letter or '_'");
      name.reset();
    }
    if (name && !names_.insert(*name).second) {
      error(node.name_pos, "duplicate node name '" + *name + "'");
      name.reset();
    }
    if (auto element = string_member(obj, ptr, "element", true)) {
      if (element->empty()) error(node.element_pos, "'element' is empty");
      else node.element = *element;
    }
    if (JsonNode* props = json_object_get_member(obj, "properties")) read_properties(props, ptr + "/properties", &node);
    if (!name) return;  // a node without a usable name cannot be referred to: already reported
    node.name = *name;
    spec_->nodes.push_back(std::move(node));
  }

  void read_properties(JsonNode* props, const std::string& ptr, NodeSpec* node) {
    if (!JSON_NODE_HOLDS_OBJECT(props)) {
      error(pos_.value(ptr), std::string("'properties' must be an object, not ") + json_type_name(props));
      return;
    }
    JsonObject* obj = json_node_get_object(props);
    GList* members = json_object_get_members(obj);
    for (GList* l = members; l; l = l->next) {
      const char* key = static_cast<const char*>(l->data);
      JsonNode* v = json_object_get_member(obj, key);
      std::string child = ptr + "/" + pointer_segment(key);
      PropertySpec p;
      p.name = key;
      p.name_pos = pos_.key(child);
      p.value_pos = pos_.value(child);
      if (!JSON_NODE_HOLDS_VALUE(v)) {
        error(p.value_pos, "property '" + p.name + "' must be a string, number or boolean, not " + json_type_name(v));
        continue;
      }
      GType t = json_node_get_value_type(v);
      if (t == G_TYPE_STRING) {
        p.kind = ValueKind::String;
        p.text = json_node_get_string(v);
      } else if (t == G_TYPE_BOOLEAN) {
        p.kind = ValueKind::Boolean;
        p.text = json_node_get_boolean(v) ? "true" : "false";
      } else if (t == G_TYPE_INT64) {
        p.kind = ValueKind::Integer;
        p.text = std::to_string(json_node_get_int(v));
      } else {
        p.kind = ValueKind::Number;
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        p.text = g_ascii_dtostr(buf, sizeof buf, json_node_get_double(v));
      }
      node->properties.push_back(std::move(p));
    }
    g_list_free(members);
  }

  std::optional<LinkEnd> link_end(JsonObject* obj, const std::string& ptr, const char* key) {
    auto s = string_member(obj, ptr, key, true);
    if (!s) return std::nullopt;
    LinkEnd end;
    auto dot = s->find('.');
    end.node = s->substr(0, dot);
    if (dot != std::string::npos) end.pad = s->substr(dot + 1);
    if (end.node.empty() || (dot != std::string::npos && end.pad.empty())) {
      error(pos_.value(ptr + "/" + key), std::string("'") + key + "' must be \"node\" or \"node.pad\", not '" + *s + "'");
      return std::nullopt;
    }
    return end;
  }

  void read_link(JsonNode* n, const std::string& ptr) {
    if (!JSON_NODE_HOLDS_OBJECT(n)) {
      error(pos_.value(ptr), std::string("a link must be an object {\"from\", \"to\", \"caps\"}, not ") + json_type_name(n));
      return;
    }
    JsonObject* obj = json_node_get_object(n);
    check_keys(obj, ptr, {"from", "to", "caps"});
    LinkSpec link;
    link.pos = pos_.value(ptr);
    link.from_pos = pos_.value(ptr + "/from");
    link.to_pos = pos_.value(ptr + "/to");
    link.caps_pos = pos_.value(ptr + "/caps");
    auto from = link_end(obj, ptr, "from");
    auto to = link_end(obj, ptr, "to");
    link.caps = string_member(obj, ptr, "caps", false);
    if (!from || !to) return;
    link.from = *from;
    link.to = *to;
    spec_->links.push_back(std::move(link));
  }

  const std::string& file_;
  const JsonPositions& pos_;
  PipelineSpec* spec_;
  Diagnostics* errors_;
  std::set<std::string> names_;
};

}  // namespace

ParseResult parse_pipeline(std::string_view text, const std::string& file) {
  ParseResult result;
  JsonPositions positions;
  JsonSyntaxError syntax;
  if (!scan_json(text, &positions, &syntax)) {
    result.errors.push_back({file, syntax.pos, "JSON syntax error: " + syntax.message});
    return result;
  }
  JsonParser* parser = json_parser_new_immutable();
  GError* err = nullptr;
  if (!json_parser_load_from_data(parser, text.data(), static_cast<gssize>(text.size()), &err)) {
    // The strict scan accepted it, so this is unexpected; keep json-glib's own words.
    result.errors.push_back({file, {1, 1}, std::string("JSON error: ") + (err ? err->message : "?")});
    g_clear_error(&err);
    g_object_unref(parser);
    return result;
  }
  result.spec = std::make_shared<PipelineSpec>();
  result.spec->file = file;
  SpecReader(file, positions, result.spec.get(), &result.errors).read(json_parser_get_root(parser));
  sort_by_position(result.errors);
  g_object_unref(parser);
  return result;
}

ParseResult parse_pipeline_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ParseResult r;
    r.errors.push_back({path.string(), {1, 1}, "cannot read the file"});
    return r;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_pipeline(ss.str(), path.string());
}

}  // namespace mediaflow::pipeline
