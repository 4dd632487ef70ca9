// JSON syntax and file-shape errors, each at its exact line:col.
#include "pipeline/pipeline_test_util.hpp"
#include "support/paths.hpp"

#include <mediaflow/pipeline/parser.hpp>

namespace {

using mediaflow::pipeline::parse_pipeline;
using mediaflow::test::where;

TEST(PipelineParse, ReadsNodesPropertiesAndLinksWithPositions) {
  const std::string text = R"({
  "name": "p",
  "description": "d",
  "nodes": [
    {"name": "src", "element": "audiotestsrc", "properties": {"num-buffers": 5, "volume": 0.5, "is-live": true, "wave": "sine"}},
    {"name": "sink", "element": "fakesink"}
  ],
  "links": [{"from": "src.src", "to": "sink", "caps": "audio/x-raw"}]
})";
  auto r = parse_pipeline(text, "p.json");
  ASSERT_TRUE(r.errors.empty()) << mediaflow::pipeline::to_string(r.errors);
  const auto& spec = *r.spec;
  EXPECT_EQ(spec.name, "p");
  EXPECT_EQ(spec.description, "d");
  ASSERT_EQ(spec.nodes.size(), 2u);
  const auto& props = spec.nodes[0].properties;
  ASSERT_EQ(props.size(), 4u);
  EXPECT_EQ(props[0].kind, mediaflow::pipeline::ValueKind::Integer);
  EXPECT_EQ(props[0].text, "5");
  EXPECT_EQ(props[1].kind, mediaflow::pipeline::ValueKind::Number);
  EXPECT_EQ(props[1].text, "0.5");
  EXPECT_EQ(props[2].kind, mediaflow::pipeline::ValueKind::Boolean);
  EXPECT_EQ(props[3].kind, mediaflow::pipeline::ValueKind::String);
  EXPECT_EQ(props[0].value_pos.line, 5);
  EXPECT_EQ(props[0].value_pos.col, 78);
  ASSERT_EQ(spec.links.size(), 1u);
  EXPECT_EQ(spec.links[0].from.node, "src");
  EXPECT_EQ(spec.links[0].from.pad, "src");
  EXPECT_EQ(spec.links[0].to.node, "sink");
  EXPECT_EQ(spec.links[0].to.pad, "");
  EXPECT_EQ(*spec.links[0].caps, "audio/x-raw");
  EXPECT_EQ(spec.links[0].caps_pos.line, 8);
  EXPECT_EQ(spec.links[0].caps_pos.col, 55);
}

TEST(PipelineParse, SyntaxErrorPointsAtTheOffendingCharacter) {
  // A trailing comma: the ']' on line 3, column 4, is what is wrong.
  auto r = parse_pipeline("{\n  \"nodes\": [1, 2,\n   ]\n}", "f.json");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].str(), "f.json:3:4: JSON syntax error: expected a value, found ']'");
  EXPECT_EQ(r.spec, nullptr);

  r = parse_pipeline("{\"name\": \"x\",\n \"nodes\": tru}", "f.json");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].str(), "f.json:2:11: JSON syntax error: invalid literal (expected 'true')");

  r = parse_pipeline("{\"name\": \"unterminated", "f.json");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].str(), "f.json:1:23: JSON syntax error: unterminated string");

  r = parse_pipeline("{\"a\": 1}\n// comment", "f.json");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].str(), "f.json:2:1: JSON syntax error: unexpected '/' after the JSON value");
}

TEST(PipelineParse, ColumnsCountCharactersNotBytes) {
  auto r = parse_pipeline("{\"description\": \"héllo wörld\", \"x\" 1}", "f.json");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].pos.col, 36);
}

TEST(PipelineParse, DuplicateKeyIsASyntaxError) {
  const std::string text = "{\"name\": \"a\",\n  \"name\": \"b\"}";
  auto r = parse_pipeline(text, "f.json");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].str(), "f.json:2:3: JSON syntax error: duplicate key 'name'");
}

TEST(PipelineParse, EveryShapeErrorIsReportedAtItsValue) {
  const std::string text = R"({
  "name": 7,
  "colour": "blue",
  "nodes": [
    {"name": "a", "element": "fakesink", "properties": {"p": [1], "q": null}},
    {"name": "a", "element": "fakesink"},
    {"name": "b c", "element": "fakesink"},
    {"element": "fakesink"},
    {"name": "d", "element": 3},
    {"name": "e", "element": "queue", "properties": "x", "extra": 1},
    "f"
  ],
  "links": [
    {"from": "a.", "to": "b"},
    {"to": "a"},
    {"from": "a", "to": "b", "caps": 5},
    7
  ]
})";
  auto r = parse_pipeline(text, "s.json");
  ASSERT_NE(r.spec, nullptr);
  std::vector<std::string> got;
  for (const auto& d : r.errors) got.push_back(d.str());
  std::vector<std::string> want = {
      "s.json:" + where(text, "7") + ": 'name' must be a string, not a number",
      "s.json:" + where(text, "\"colour\"") + ": unknown key 'colour' (expected name, description, nodes, links)",
      "s.json:" + where(text, "[1]") + ": property 'p' must be a string, number or boolean, not an array",
      "s.json:" + where(text, "null") + ": property 'q' must be a string, number or boolean, not null",
      "s.json:" + where(text, "\"a\"", 1) + ": duplicate node name 'a'",
      "s.json:" + where(text, "\"b c\"") +
          ": bad node name 'b c': use letters, digits, '_' and '-', starting with a letter or '_'",
      "s.json:8:5: missing 'name'",
      "s.json:" + where(text, "3}") + ": 'element' must be a string, not a number",
      "s.json:" + where(text, "\"x\"") + ": 'properties' must be an object, not a string",
      "s.json:" + where(text, "\"extra\"") + ": unknown key 'extra' (expected name, element, properties)",
      "s.json:" + where(text, "\"f\"") + ": a node must be an object {\"name\", \"element\", \"properties\"}, not a string",
      "s.json:" + where(text, "\"a.\"") + ": 'from' must be \"node\" or \"node.pad\", not 'a.'",
      "s.json:15:5: missing 'from'",
      "s.json:" + where(text, "5}") + ": 'caps' must be a string, not a number",
      "s.json:17:5: a link must be an object {\"from\", \"to\", \"caps\"}, not a number",
  };
  EXPECT_EQ(got, want);
}

TEST(PipelineParse, MissingOrEmptyNodes) {
  auto r = parse_pipeline("{\"name\": \"x\"}", "f.json");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].str(), "f.json:1:1: missing 'nodes' (an array of {\"name\", \"element\", \"properties\"})");
  r = parse_pipeline("{\"name\": \"x\", \"nodes\": []}", "f.json");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].str(), "f.json:1:24: 'nodes' is empty: a pipeline needs at least one node");
  r = parse_pipeline("[1]", "f.json");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].str(), "f.json:1:1: a pipeline file holds one JSON object, not an array");
}

TEST(PipelineParse, UnreadableFileIsReported) {
  auto r = mediaflow::pipeline::parse_pipeline_file("/nonexistent/x.json");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].str(), "/nonexistent/x.json:1:1: cannot read the file");
}

}  // namespace

namespace {

// Fuzzer findings (tests/fuzz/regressions/pipeline_file).
TEST(PipelineParse, NestingDeeperThan64IsAnErrorAtTheBracketNotAStackOverflow) {
  auto r = parse_pipeline(mediaflow::test::fuzz_regression("pipeline_file", "nested_brackets_50k.json"), "deep.json");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].str(), "deep.json:1:65: JSON syntax error: nesting deeper than 64");
  // Deep but within the bound: parsed (and then refused for its shape, not its depth).
  std::string ok = "{\"name\": \"p\", \"description\": " + std::string(60, '[') + std::string(60, ']') + "}";
  auto within = parse_pipeline(ok, "ok.json");
  ASSERT_FALSE(within.errors.empty());
  EXPECT_EQ(within.errors[0].message.find("nesting"), std::string::npos) << within.errors[0].str();
}

TEST(PipelineParse, InvalidUtf8IsReportedAtTheBadByte) {
  const std::string text = mediaflow::test::fuzz_regression("pipeline_file", "invalid_utf8_in_string.json");
  auto r = parse_pipeline(text, "u.json");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].str(), "u.json:" + where(text, "\xc3\x28") + ": JSON syntax error: invalid UTF-8 in string");
  for (const char* bad : {"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\x80", "\xe2\x82"}) {
    const std::string t = std::string("{\"name\": \"p\",\n \"description\": \"ab") + bad + "\"}";
    auto e = parse_pipeline(t, "b.json");
    ASSERT_EQ(e.errors.size(), 1u) << bad;
    EXPECT_EQ(e.errors[0].str(), "b.json:2:20: JSON syntax error: invalid UTF-8 in string") << bad;
  }
  auto lone = parse_pipeline("{\"name\": \"p\", \"description\": \"\\ud800x\"}", "s.json");
  ASSERT_EQ(lone.errors.size(), 1u);
  EXPECT_EQ(lone.errors[0].str(), "s.json:1:33: JSON syntax error: invalid \\u surrogate pair");
  auto good = parse_pipeline("{\"name\": \"p\", \"description\": \"caf\xc3\xa9 \\ud83d\\ude00\", \"nodes\": []}", "g.json");
  for (const auto& e : good.errors) EXPECT_EQ(e.message.find("UTF-8"), std::string::npos) << e.str();
}

}  // namespace
