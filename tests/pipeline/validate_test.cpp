// Validation against the real GStreamer registry: every error kind at its exact line:col,
// and all of them at once.
#include "pipeline/pipeline_test_util.hpp"
#include "support/paths.hpp"

namespace {

using mediaflow::pipeline::load_pipeline;
using mediaflow::test::where;

class PipelineValidate : public ::testing::Test {
 protected:
  void SetUp() override { gst_init(nullptr, nullptr); }

  // The single error of a one-node pipeline whose node is `node_json`.
  std::string only_error(const std::string& text) {
    auto r = load_pipeline(text, "v.json");
    EXPECT_EQ(r.spec, nullptr);
    EXPECT_EQ(r.errors.size(), 1u) << mediaflow::pipeline::to_string(r.errors);
    return r.errors.empty() ? "" : r.errors[0].str();
  }
};

std::string one_node(const std::string& node) {
  return "{\n  \"name\": \"v\",\n  \"nodes\": [\n    " + node + "\n  ]\n}";
}

TEST_F(PipelineValidate, AcceptsAGoodPipeline) {
  const std::string text = R"({
  "name": "good",
  "nodes": [
    {"name": "src", "element": "audiotestsrc", "properties": {"num-buffers": 3, "wave": "square", "freq": 440, "volume": "0.5", "is-live": false, "samplesperbuffer": "${param.spb}"}},
    {"name": "t", "element": "tee"},
    {"name": "q", "element": "queue", "properties": {"leaky": "downstream", "max-size-time": 0}},
    {"name": "sink", "element": "fakesink", "properties": {"sync": "false", "name": "ignored-by-build"}},
    {"name": "file", "element": "filesink", "properties": {"location": "/tmp/${call.sid}-$$.wav"}}
  ],
  "links": [
    {"from": "src.src", "to": "t.sink", "caps": "audio/x-raw,rate=8000"},
    {"from": "t.src_0", "to": "q"},
    {"from": "q", "to": "sink"}
  ]
})";
  auto r = load_pipeline(text, "good.json");
  EXPECT_TRUE(r.errors.empty()) << mediaflow::pipeline::to_string(r.errors);
  ASSERT_NE(r.spec, nullptr);
}

TEST_F(PipelineValidate, UnknownElement) {
  std::string t = one_node(R"({"name": "x", "element": "nosuchthing"})");
  EXPECT_EQ(only_error(t), "v.json:4:30: unknown element 'nosuchthing' (node 'x'); 'mediaflow plugins' lists ours, "
                           "gst-inspect-1.0 the stock ones");
}

TEST_F(PipelineValidate, UnknownProperty) {
  std::string t = one_node(R"({"name": "x", "element": "fakesink", "properties": {"sinc": true}})");
  EXPECT_EQ(only_error(t), "v.json:4:57: unknown property 'sinc' of element 'fakesink' (node 'x'); 'mediaflow "
                           "inspect fakesink' lists them");
}

TEST_F(PipelineValidate, ReadOnlyProperty) {
  std::string t = one_node(R"({"name": "x", "element": "fakesink", "properties": {"stats": "x"}})");
  EXPECT_EQ(only_error(t), "v.json:4:57: property 'stats' of node 'x' (fakesink) is read-only");
}

struct TypeCase {
  const char* element;
  const char* property;
  const char* value_json;
  const char* message;
};

TEST_F(PipelineValidate, IllTypedAndOutOfRangeValuesPointAtTheValue) {
  const TypeCase cases[] = {
      {"audiotestsrc", "num-buffers", "\"ten\"", "expected an integer, got 'ten'"},
      {"audiotestsrc", "num-buffers", "1.5", "expected an integer, got a number 1.5"},
      {"audiotestsrc", "num-buffers", "-2", "-2 is out of range [-1, 2147483647]"},
      {"audiotestsrc", "samplesperbuffer", "0", "0 is out of range [1, 2147483647]"},
      {"queue", "max-size-buffers", "-1", "-1 is out of range [0, 4294967295]"},
      {"queue", "max-size-time", "true", "expected an integer, got a boolean true"},
      {"audiotestsrc", "timestamp-offset", "\"1e3\"", "expected an integer, got '1e3'"},
      {"audiotestsrc", "volume", "1.5", "1.5 is out of range [0, 1]"},
      {"audiotestsrc", "volume", "\"loud\"", "expected a number, got 'loud'"},
      {"fakesink", "sync", "\"maybe\"", "expected true or false, got 'maybe'"},
      {"fakesink", "sync", "1", "expected true or false, got an integer 1"},
      {"filesink", "location", "5", "expected a string, got an integer 5 (quote it)"},
      {"queue", "leaky", "\"sideways\"", "expected one of no, upstream, downstream, got 'sideways'"},
      {"queue", "leaky", "7", "expected one of no, upstream, downstream, got '7'"},
      {"capsfilter", "caps", "\"not caps,,\"", "cannot read 'not caps,,' as GstCaps"},
      {"fakesink", "sync", "\"${param.a\"", "unterminated variable '${param.a' (missing '}')"},
      {"filesink", "location", "\"${call.caller}\"",
       "unknown variable ${call.caller}: call variables are ${call.sid}, ${call.stream_sid}, ${call.account_sid}, ${call.transport}"},
      {"filesink", "location", "\"${session.x}\"",
       "unknown variable namespace 'session' in ${session.x}: use call, param, env, pipeline or recording"},
  };
  for (const auto& c : cases) {
    std::string node = std::string("{\"name\": \"n\", \"element\": \"") + c.element + "\", \"properties\": {\"" +
                       c.property + "\": " + c.value_json + "}}";
    std::string text = one_node(node);
    std::string want = "v.json:" + where(text, std::string(c.value_json)) + ": property '" + c.property +
                       "' of node 'n' (" + c.element + "): " + c.message;
    EXPECT_EQ(only_error(text), want);
  }
}

TEST_F(PipelineValidate, WholeVariableValuesWaitForTheBuild) {
  std::string t = one_node(R"({"name": "x", "element": "audiotestsrc", "properties": {"num-buffers": "${param.n}", "wave": "${param.w:-sine}"}})");
  auto r = load_pipeline(t, "v.json");
  EXPECT_TRUE(r.errors.empty()) << mediaflow::pipeline::to_string(r.errors);
}

TEST_F(PipelineValidate, FlagsByNickJoinedWithPlus) {
  // rtpbin is not in base/good; identity's "drop-buffer-flags" is a GstBufferFlags flags property.
  std::string t = one_node(R"({"name": "x", "element": "identity", "properties": {"drop-buffer-flags": "gap+droppable"}})");
  auto r = load_pipeline(t, "v.json");
  EXPECT_TRUE(r.errors.empty()) << mediaflow::pipeline::to_string(r.errors);
  t = one_node(R"({"name": "x", "element": "identity", "properties": {"drop-buffer-flags": "gap+shiny"}})");
  EXPECT_EQ(only_error(t),
            "v.json:4:78: property 'drop-buffer-flags' of node 'x' (identity): unknown flag 'shiny' (flags: live, "
            "decode-only, discont, resync, corrupted, marker, header, gap, droppable, delta-unit, tag-memory, "
            "sync-after, non-droppable, last, joined with '+')");
}

TEST_F(PipelineValidate, LinkErrors) {
  const std::string text = R"({
  "name": "links",
  "nodes": [
    {"name": "src", "element": "audiotestsrc"},
    {"name": "t", "element": "tee"},
    {"name": "sink", "element": "fakesink"}
  ],
  "links": [
    {"from": "ghost", "to": "t"},
    {"from": "src", "to": "phantom.sink"},
    {"from": "sink", "to": "t"},
    {"from": "src", "to": "src"},
    {"from": "t.sink", "to": "sink"},
    {"from": "t.out_1", "to": "sink.sink"},
    {"from": "t.src_0", "to": "sink", "caps": "audio/x-raw,rate="}
  ]
})";
  auto r = load_pipeline(text, "l.json");
  std::vector<std::string> got;
  for (const auto& d : r.errors) got.push_back(d.str());
  std::vector<std::string> want = {
      "l.json:9:14: link from unknown node 'ghost'",
      "l.json:10:27: link to unknown node 'phantom'",
      "l.json:11:14: node 'sink' (fakesink) has no source pads",
      "l.json:12:27: node 'src' (audiotestsrc) has no sink pads",
      "l.json:13:14: pad 'sink' of node 't' (tee) is not a source pad (link \"from\" a source pad \"to\" a sink pad)",
      "l.json:14:14: node 't' (tee) has no source pad 'out_1' (source pads: src_%u)",
      "l.json:15:47: bad caps 'audio/x-raw,rate='",
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(r.spec, nullptr);
}

TEST_F(PipelineValidate, ReportsEveryErrorOfAFileInFileOrder) {
  const std::string text = R"({
  "name": "many",
  "nodes": [
    {"name": "a", "element": "audiotestsrc", "properties": {"freq": "high", "colour": 1}},
    {"name": "a", "element": "fakesink"},
    {"name": "b", "element": "nope"},
    {"name": "c", "element": "filesink", "properties": {"location": "${param.out}/${bad.x}"}}
  ],
  "links": [{"from": "a", "to": "zz", "caps": "???"}]
})";
  auto r = load_pipeline(text, "m.json");
  std::vector<std::string> got;
  for (const auto& d : r.errors) got.push_back(d.str().substr(0, d.str().find(": ", 8)));
  std::vector<std::string> want = {"m.json:4:69", "m.json:4:77", "m.json:5:14", "m.json:6:30", "m.json:7:69",
                                   "m.json:9:33", "m.json:9:47"};
  EXPECT_EQ(got, want) << mediaflow::pipeline::to_string(r.errors);
}

}  // namespace

namespace {

// Fuzzer findings (tests/fuzz/regressions/pipeline_file): enum and flags numbers beyond gint /
// guint were cast (undefined behaviour); they are values outside the type.
TEST_F(PipelineValidate, EnumAndFlagsNumbersBeyondTheirTypeAreRefused) {
  const std::string enum_file = mediaflow::test::fuzz_regression("pipeline_file", "enum_value_beyond_gint.json");
  EXPECT_EQ(only_error(enum_file), "v.json:" + where(enum_file, "10000000000") +
                                       ": property 'wave' of node 't' (audiotestsrc): expected one of sine, square, "
                                       "saw, triangle, silence, white-noise, pink-noise, sine-table, ticks, "
                                       "gaussian-noise, red-noise, blue-noise, violet-noise, got '10000000000'");
  const std::string flags_file = mediaflow::test::fuzz_regression("pipeline_file", "flags_value_beyond_guint.json");
  const std::string flags_error = only_error(flags_file);
  EXPECT_EQ(flags_error.rfind("v.json:" + where(flags_file, "99999999999") +
                                  ": property 'drop-buffer-flags' of node 'i' (identity): '99999999999' has bits outside",
                              0),
            0u)
      << flags_error;
  EXPECT_NE(only_error(one_node(R"({"name": "t", "element": "audiotestsrc", "properties": {"wave": "-4294967297"}})")),
            "");
}

}  // namespace
