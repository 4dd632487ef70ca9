// ${…} variables: names, defaults, escapes, and missing ones.
#include <mediaflow/pipeline/variables.hpp>

#include <gtest/gtest.h>

#include <cstdlib>

namespace {

using namespace mediaflow::pipeline;

std::string expand(const std::string& text, const Variables& vars, std::string* error = nullptr) {
  std::string out, err;
  if (!expand_variables(text, vars, &out, &err)) {
    if (error) *error = err;
    return "<error>";
  }
  return out;
}

TEST(PipelineVariables, SubstitutesEveryNamespace) {
  setenv("MEDIAFLOW_TEST_VAR", "from-env", 1);
  Variables vars{{"call.sid", "CA1"}, {"call.stream_sid", "MZ2"}, {"call.account_sid", "AC3"},
                 {"param.lang", "en"}, {"recording.id", "r9"}};
  EXPECT_EQ(expand("${call.sid}/${call.stream_sid}/${call.account_sid}/${param.lang}/${recording.id}/${env.MEDIAFLOW_TEST_VAR}", vars),
            "CA1/MZ2/AC3/en/r9/from-env");
}

TEST(PipelineVariables, DefaultsEscapesAndLiteralDollars) {
  Variables vars{{"param.set", "yes"}, {"param.empty", ""}};
  EXPECT_EQ(expand("${param.unset:-fallback}", vars), "fallback");
  EXPECT_EQ(expand("${param.set:-fallback}", vars), "yes");
  EXPECT_EQ(expand("${param.empty:-fallback}", vars), "fallback");
  EXPECT_EQ(expand("${param.unset:-}", vars), "");
  EXPECT_EQ(expand("${env.MEDIAFLOW_SURELY_UNSET_VAR:-d}", vars), "d");
  EXPECT_EQ(expand("cost $$5 and $$${param.set}", vars), "cost $5 and $yes");
  EXPECT_EQ(expand("a $ b $x", vars), "a $ b $x");
}

TEST(PipelineVariables, MissingVariableIsAnErrorNamingIt) {
  std::string error;
  EXPECT_EQ(expand("x-${param.nope}-y", {}, &error), "<error>");
  EXPECT_EQ(error, "variable ${param.nope} is not set and has no default");
  EXPECT_EQ(expand("${call.sid}", {}, &error), "<error>");
  EXPECT_EQ(error, "variable ${call.sid} is not set and has no default");
}

TEST(PipelineVariables, PipelineNameAndTransportAreKnown) {
  EXPECT_EQ(check_variable_name("pipeline.name"), "");
  EXPECT_EQ(check_variable_name("call.transport"), "");
  EXPECT_EQ(check_variable_name("pipeline.file"), "unknown variable ${pipeline.file}: the pipeline variable is ${pipeline.name}");
}

TEST(PipelineVariables, UnknownNamesAreRefused) {
  EXPECT_EQ(check_variable_name("call.sid"), "");
  EXPECT_EQ(check_variable_name("param.x-y.z"), "");
  EXPECT_EQ(check_variable_name("call.from"),
            "unknown variable ${call.from}: call variables are ${call.sid}, ${call.stream_sid}, ${call.account_sid}, ${call.transport}");
  EXPECT_EQ(check_variable_name("recording.path"), "unknown variable ${recording.path}: the recording variable is ${recording.id}");
  EXPECT_EQ(check_variable_name("foo.bar"),
            "unknown variable namespace 'foo' in ${foo.bar}: use call, param, env, pipeline or recording");
  EXPECT_EQ(check_variable_name("sid"),
            "unknown variable ${sid}: use ${call.*}, ${param.NAME}, ${env.NAME} or ${recording.id}");
  EXPECT_NE(check_variable_name("env.1A"), "");
  auto scan = scan_variables("ok ${param.a} then ${call.nope:-x}");
  EXPECT_EQ(scan.refs.size(), 1u);
  EXPECT_EQ(scan.error_offset, 19u);
  EXPECT_NE(scan.error.find("${call.nope}"), std::string::npos);
  scan = scan_variables("${param.a");
  EXPECT_EQ(scan.error, "unterminated variable '${param.a' (missing '}')");
}

TEST(PipelineVariables, SingleVariableDetection) {
  EXPECT_TRUE(is_single_variable("${param.x}"));
  EXPECT_TRUE(is_single_variable("${param.x:-3}"));
  EXPECT_FALSE(is_single_variable("${param.x}0"));
  EXPECT_FALSE(is_single_variable("${param.x}${param.y}"));
}

TEST(PipelineVariables, DefaultsMayHoldBalancedBraces) {
  Variables vars{{"param.set", "Hi {name}"}};
  EXPECT_EQ(expand("${param.reply:-You said {text}.}", {}), "You said {text}.");
  EXPECT_EQ(expand("${param.reply:-{a}{b} and {{c}}}!", {}), "{a}{b} and {{c}}!");
  EXPECT_EQ(expand("${param.set:-You said {text}.}", vars), "Hi {name}");
  EXPECT_EQ(expand("[${param.a:-{x}}] [${param.b:-{y}}]", {}), "[{x}] [{y}]");
  EXPECT_EQ(expand("${param.a:-cost $$5 {n}}", {}), "cost $5 {n}");
  auto scan = scan_variables("${param.reply:-You said {text}.}");
  EXPECT_EQ(scan.error, "");
  ASSERT_EQ(scan.refs.size(), 1u);
  EXPECT_EQ(scan.refs[0].name, "param.reply");
  EXPECT_EQ(scan.refs[0].fallback, "You said {text}.");
  // Braces outside a reference are plain text, balanced or not.
  EXPECT_EQ(expand("{${param.set}} }{", vars), "{Hi {name}} }{");
}

TEST(PipelineVariables, UnbalancedOrNestedDefaultsAreErrorsAtTheReference) {
  auto scan = scan_variables("say ${param.reply:-You said {text}.");
  EXPECT_EQ(scan.error, "unterminated variable '${param.reply:-You said {text}.' (missing '}')");
  EXPECT_EQ(scan.error_offset, 4u);
  scan = scan_variables("ok ${param.a} ${param.b:-{");
  EXPECT_EQ(scan.error_offset, 14u);
  EXPECT_NE(scan.error.find("unterminated"), std::string::npos);
  scan = scan_variables("${param.a:-${param.b}}");
  EXPECT_EQ(scan.error_offset, 0u);
  EXPECT_EQ(scan.error, "the default of ${param.a} holds a variable; a default is literal text ('$$' for a '$')");
  std::string error;
  EXPECT_EQ(expand("${param.a:-x {y}", {}, &error), "<error>");
  EXPECT_EQ(error, "unterminated variable '${param.a:-x {y}' (missing '}')");
}

TEST(PipelineVariables, SingleVariableWithBracesInItsDefault) {
  EXPECT_TRUE(is_single_variable("${param.reply:-You said {text}.}"));
  EXPECT_FALSE(is_single_variable("${param.reply:-{x}}{y}"));
  EXPECT_FALSE(is_single_variable("${param.x} {y}"));
  EXPECT_FALSE(is_single_variable("${param.x:-{}"));
}

}  // namespace
