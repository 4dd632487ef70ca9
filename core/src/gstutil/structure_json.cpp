#include <mediaflow/gstutil/structure_json.hpp>

#include <json-glib/json-glib.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace mediaflow::gstutil {
namespace {

JsonNode* value_to_node(const GValue* v);

JsonNode* structure_to_node(const GstStructure* s, bool with_type) {
  JsonObject* obj = json_object_new();
  if (with_type) json_object_set_string_member(obj, "type", gst_structure_get_name(s));
  const int n = gst_structure_n_fields(s);
  for (int i = 0; i < n; ++i) {
    const char* name = gst_structure_nth_field_name(s, i);
    json_object_set_member(obj, name, value_to_node(gst_structure_get_value(s, name)));
  }
  JsonNode* node = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(node, obj);
  return node;
}

JsonNode* value_to_node(const GValue* v) {
  JsonNode* node = json_node_new(JSON_NODE_VALUE);
  const GType t = G_VALUE_TYPE(v);
  if (t == G_TYPE_STRING) {
    const char* s = g_value_get_string(v);
    if (!s) {
      json_node_init_null(node);
    } else {
      json_node_set_string(node, s);
    }
  } else if (t == G_TYPE_BOOLEAN) {
    json_node_set_boolean(node, g_value_get_boolean(v));
  } else if (t == G_TYPE_INT) {
    json_node_set_int(node, g_value_get_int(v));
  } else if (t == G_TYPE_UINT) {
    json_node_set_int(node, g_value_get_uint(v));
  } else if (t == G_TYPE_INT64) {
    json_node_set_int(node, g_value_get_int64(v));
  } else if (t == G_TYPE_UINT64) {
    json_node_set_int(node, static_cast<gint64>(g_value_get_uint64(v)));
  } else if (t == G_TYPE_DOUBLE) {
    json_node_set_double(node, g_value_get_double(v));
  } else if (t == G_TYPE_FLOAT) {
    json_node_set_double(node, g_value_get_float(v));
  } else if (t == GST_TYPE_STRUCTURE) {
    json_node_unref(node);
    return structure_to_node(gst_value_get_structure(v), false);
  } else if (t == GST_TYPE_LIST || t == GST_TYPE_ARRAY) {
    json_node_unref(node);
    JsonArray* arr = json_array_new();
    const bool is_list = t == GST_TYPE_LIST;
    const guint n = is_list ? gst_value_list_get_size(v) : gst_value_array_get_size(v);
    for (guint i = 0; i < n; ++i) {
      const GValue* item = is_list ? gst_value_list_get_value(v, i) : gst_value_array_get_value(v, i);
      json_array_add_element(arr, value_to_node(item));
    }
    node = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(node, arr);
  } else {
    gchar* str = gst_value_serialize(v);
    json_node_set_string(node, str ? str : "");
    g_free(str);
  }
  return node;
}

// Printable ASCII without '"' and '\\': json-glib writes it as it is.
bool plain(const char* text) {
  for (const char* c = text; *c; ++c)
    if (*c < 0x20 || *c > 0x7e || *c == '"' || *c == '\\') return false;
  return true;
}

// The common call events (an agent's `heard` and the transport's mark echo, one each per 20 ms
// frame an agent speaks) hold only plain strings, booleans and integers. For those the line is
// written directly, byte for byte what json-glib writes (test): building a json-glib tree and
// generating it cost ~26k instructions per event (session 7, docs/benchmarks.md). Anything else
// (other characters, doubles, nested values, a field named "type") goes through json-glib.
bool write_simple(const GstStructure* s, std::string& out) {
  const char* name = gst_structure_get_name(s);
  if (!plain(name)) return false;
  out.reserve(128);
  out += "{\"type\":\"";
  out += name;
  out += '"';
  const int n = gst_structure_n_fields(s);
  for (int i = 0; i < n; ++i) {
    const char* field = gst_structure_nth_field_name(s, i);
    if (!plain(field) || !std::strcmp(field, "type")) return false;
    const GValue* v = gst_structure_get_value(s, field);
    ((out += ",\"") += field) += "\":";
    const GType t = G_VALUE_TYPE(v);
    char number[24];
    if (t == G_TYPE_STRING) {
      const char* text = g_value_get_string(v);
      if (!text) {
        out += "null";
        continue;
      }
      if (!plain(text)) return false;
      ((out += '"') += text) += '"';
    } else if (t == G_TYPE_BOOLEAN) {
      out += g_value_get_boolean(v) ? "true" : "false";
    } else if (t == G_TYPE_INT || t == G_TYPE_UINT || t == G_TYPE_INT64 || t == G_TYPE_UINT64) {
      const gint64 i64 = t == G_TYPE_INT      ? g_value_get_int(v)
                         : t == G_TYPE_UINT  ? gint64(g_value_get_uint(v))
                         : t == G_TYPE_INT64 ? g_value_get_int64(v)
                                             : static_cast<gint64>(g_value_get_uint64(v));  // as json-glib holds it
      out.append(number, static_cast<std::size_t>(std::snprintf(number, sizeof number, "%" PRId64, i64)));
    } else {
      return false;
    }
  }
  out += '}';
  return true;
}

}  // namespace

std::string structure_to_json(const GstStructure* s) {
  std::string simple;
  if (write_simple(s, simple)) return simple;
  JsonNode* root = structure_to_node(s, true);
  gchar* text = json_to_string(root, FALSE);
  std::string out(text);
  g_free(text);
  json_node_unref(root);
  return out;
}

}  // namespace mediaflow::gstutil
