#include <mediaflow/gstutil/structure_json.hpp>

#include <json-glib/json-glib.h>

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

}  // namespace

std::string structure_to_json(const GstStructure* s) {
  JsonNode* root = structure_to_node(s, true);
  gchar* text = json_to_string(root, FALSE);
  std::string out(text);
  g_free(text);
  json_node_unref(root);
  return out;
}

}  // namespace mediaflow::gstutil
