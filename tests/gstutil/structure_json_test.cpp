// gstutil::structure_to_json: the call-event lines of transcript.jsonl. Flat structures of plain
// strings, booleans and integers are written directly; these tests hold them byte for byte to
// what json-glib generates for the same tree (the way every line was written before).
#include <mediaflow/gstutil/structure_json.hpp>

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <gtest/gtest.h>

#include <string>

namespace mediaflow::test {
namespace {

// json-glib's line for a flat structure: {"type":name, fields…} as a JsonObject, generated.
std::string json_glib_line(const GstStructure* s) {
  JsonObject* obj = json_object_new();
  json_object_set_string_member(obj, "type", gst_structure_get_name(s));
  for (int i = 0; i < gst_structure_n_fields(s); ++i) {
    const char* name = gst_structure_nth_field_name(s, i);
    const GValue* v = gst_structure_get_value(s, name);
    const GType t = G_VALUE_TYPE(v);
    if (t == G_TYPE_STRING && !g_value_get_string(v)) json_object_set_null_member(obj, name);
    else if (t == G_TYPE_STRING) json_object_set_string_member(obj, name, g_value_get_string(v));
    else if (t == G_TYPE_BOOLEAN) json_object_set_boolean_member(obj, name, g_value_get_boolean(v));
    else if (t == G_TYPE_INT) json_object_set_int_member(obj, name, g_value_get_int(v));
    else if (t == G_TYPE_UINT) json_object_set_int_member(obj, name, g_value_get_uint(v));
    else if (t == G_TYPE_INT64) json_object_set_int_member(obj, name, g_value_get_int64(v));
    else if (t == G_TYPE_UINT64) json_object_set_int_member(obj, name, static_cast<gint64>(g_value_get_uint64(v)));
    else if (t == G_TYPE_DOUBLE) json_object_set_double_member(obj, name, g_value_get_double(v));
  }
  JsonNode* root = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(root, obj);
  gchar* text = json_to_string(root, FALSE);
  std::string out(text);
  g_free(text);
  json_node_unref(root);
  return out;
}

struct StructureJson : ::testing::Test {
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
};

TEST_F(StructureJson, CallEventsAreWrittenExactlyAsJsonGlibWritesThem) {
  GstStructure* heard = gst_structure_new("mediaflow-agent-event", "vendor", G_TYPE_STRING, "elevenlabs", "kind",
                                          G_TYPE_STRING, "heard", "text", G_TYPE_STRING, "", "event-id", G_TYPE_UINT64,
                                          guint64(2), "heard-ms", G_TYPE_UINT64, guint64(400), "sent-ms", G_TYPE_UINT64,
                                          G_MAXUINT64, "interrupted", G_TYPE_BOOLEAN, TRUE, "n", G_TYPE_INT, -7, "u",
                                          G_TYPE_UINT, G_MAXUINT, "i64", G_TYPE_INT64, G_MININT64, "none", G_TYPE_STRING,
                                          nullptr, nullptr);
  EXPECT_EQ(gstutil::structure_to_json(heard), json_glib_line(heard));
  EXPECT_EQ(gstutil::structure_to_json(heard),
            R"({"type":"mediaflow-agent-event","vendor":"elevenlabs","kind":"heard","text":"","event-id":2,)"
            R"("heard-ms":400,"sent-ms":-1,"interrupted":true,"n":-7,"u":4294967295,"i64":-9223372036854775808,"none":null})");
  gst_structure_free(heard);
  GstStructure* mark = gst_structure_new("twilio-mark", "name", G_TYPE_STRING, "el-agent-17", nullptr);
  EXPECT_EQ(gstutil::structure_to_json(mark), R"({"type":"twilio-mark","name":"el-agent-17"})");
  gst_structure_free(mark);
}

TEST_F(StructureJson, EveryCharacterOfAStringComesOutAsJsonGlibEscapesIt) {
  for (int c = 1; c < 128; ++c) {  // GstStructure refuses strings that are not UTF-8
    const char text[] = {'a', char(c), 'b', '\0'};
    GstStructure* s = gst_structure_new("event", "text", G_TYPE_STRING, text, nullptr);
    EXPECT_EQ(gstutil::structure_to_json(s), json_glib_line(s)) << "character " << c;
    gst_structure_free(s);
  }
  GstStructure* utf8 = gst_structure_new("event", "text", G_TYPE_STRING, "Grüße, 你好", nullptr);
  EXPECT_EQ(gstutil::structure_to_json(utf8), json_glib_line(utf8));
  gst_structure_free(utf8);
}

TEST_F(StructureJson, DoublesAndNestedValuesKeepJsonGlibsForm) {
  GstStructure* inner = gst_structure_new("word", "w", G_TYPE_STRING, "yes", nullptr);
  GstStructure* s = gst_structure_new("mediaflow-transcript", "confidence", G_TYPE_DOUBLE, 0.5, "whole", G_TYPE_DOUBLE,
                                      2.0, "word", GST_TYPE_STRUCTURE, inner, nullptr);
  EXPECT_EQ(gstutil::structure_to_json(s),
            R"({"type":"mediaflow-transcript","confidence":0.5,"whole":2.0,"word":{"w":"yes"}})");
  gst_structure_free(s);
  gst_structure_free(inner);
}

}  // namespace
}  // namespace mediaflow::test
