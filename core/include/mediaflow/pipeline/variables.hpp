// ${…} variables in property values: ${call.sid}, ${call.stream_sid}, ${call.account_sid},
// ${param.NAME}, ${env.NAME}, ${recording.id}; ${NS.NAME:-default} gives a default (used when
// the variable is unset or empty); "$$" is a literal '$'. A '$' not followed by '{' or '$' is
// literal too. A default is literal text and may hold balanced braces
// ("${param.reply:-You said {text}.}"): a reference ends at the '}' that balances its "${".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::pipeline {

// Keys are full variable names: "call.sid", "param.pipeline", "recording.id". env.* names are
// read from the process environment when the map does not hold them.
using Variables = std::map<std::string, std::string>;

struct VariableRef {
  std::string name;  // "param.NAME"
  std::optional<std::string> fallback;
  size_t offset = 0;  // of the '$' in the text
};

struct TemplateScan {
  std::vector<VariableRef> refs;
  std::string error;  // syntax or unknown-name error; empty when fine
  size_t error_offset = 0;
};

// Finds every variable reference and checks its syntax and name.
TemplateScan scan_variables(std::string_view text);

// True when the whole text is one ${…} reference (its type is only known at build).
bool is_single_variable(std::string_view text);

// Empty when `name` ("ns.NAME") is one this format knows; else why not.
std::string check_variable_name(std::string_view name);

// Substitutes every reference. False with *error naming the variable when one is unset and has
// no default; never substitutes an empty string for a missing variable.
bool expand_variables(std::string_view text, const Variables& vars, std::string* out, std::string* error);

}  // namespace mediaflow::pipeline
