#include <mediaflow/pipeline/variables.hpp>

#include <glib.h>

#include <cstdlib>

namespace mediaflow::pipeline {
namespace {

constexpr const char* kCallNames[] = {"sid", "stream_sid", "account_sid", "transport"};

bool is_env_name(std::string_view s) {
  if (s.empty() || g_ascii_isdigit(s[0])) return false;
  for (char c : s)
    if (!(g_ascii_isalnum(c) || c == '_')) return false;
  return true;
}

bool is_param_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(g_ascii_isalnum(c) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

// Index of the '}' that closes the reference starting at text[start] ("${"), counting the
// braces a default may hold ("${param.reply:-You said {text}.}"); npos when unterminated.
size_t find_close(std::string_view text, size_t start) {
  int depth = 0;
  for (size_t i = start + 1; i < text.size(); ++i) {
    if (text[i] == '{') {
      ++depth;
    } else if (text[i] == '}' && --depth == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

// A default is literal text with the escapes of the rest of the value: "$$" is one '$'. A
// variable inside a default is not supported: false.
bool default_text(std::string_view d, std::string* out) {
  out->clear();
  for (size_t i = 0; i < d.size(); ++i) {
    if (d[i] == '$' && i + 1 < d.size() && d[i + 1] == '$') {
      *out += '$';
      ++i;
    } else if (d[i] == '$' && i + 1 < d.size() && d[i + 1] == '{') {
      return false;
    } else {
      *out += d[i];
    }
  }
  return true;
}

// One pass over the text; calls on_literal / on_ref in order. Returns an error or "".
template <typename Literal, typename Ref>
std::string walk(std::string_view text, size_t* error_offset, Literal on_literal, Ref on_ref) {
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '$') {
      on_literal(c);
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      on_literal('$');
      i += 2;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '{') {
      on_literal('$');
      ++i;
      continue;
    }
    size_t close = find_close(text, i);
    if (close == std::string_view::npos) {
      *error_offset = i;
      return "unterminated variable '" + std::string(text.substr(i)) + "' (missing '}')";
    }
    std::string_view body = text.substr(i + 2, close - i - 2);
    VariableRef ref;
    ref.offset = i;
    size_t dflt = body.find(":-");
    ref.name = std::string(body.substr(0, dflt));
    std::string why = check_variable_name(ref.name);
    if (!why.empty()) {
      *error_offset = i;
      return why;
    }
    if (dflt != std::string_view::npos) {
      ref.fallback.emplace();
      if (!default_text(body.substr(dflt + 2), &*ref.fallback)) {
        *error_offset = i;
        return "the default of ${" + ref.name + "} holds a variable; a default is literal text ('$$' for a '$')";
      }
    }
    on_ref(ref);
    i = close + 1;
  }
  return "";
}

}  // namespace

std::string check_variable_name(std::string_view name) {
  std::string shown = "${" + std::string(name) + "}";
  auto dot = name.find('.');
  if (dot == std::string_view::npos)
    return "unknown variable " + shown + ": use ${call.*}, ${param.NAME}, ${env.NAME} or ${recording.id}";
  std::string_view ns = name.substr(0, dot);
  std::string_view rest = name.substr(dot + 1);
  if (ns == "call") {
    for (const char* n : kCallNames)
      if (rest == n) return "";
    return "unknown variable " + shown +
           ": call variables are ${call.sid}, ${call.stream_sid}, ${call.account_sid}, ${call.transport}";
  }
  if (ns == "pipeline") {
    if (rest == "name") return "";
    return "unknown variable " + shown + ": the pipeline variable is ${pipeline.name}";
  }
  if (ns == "recording") {
    if (rest == "id") return "";
    return "unknown variable " + shown + ": the recording variable is ${recording.id}";
  }
  if (ns == "param") {
    if (is_param_name(rest)) return "";
    return "bad variable " + shown + ": a parameter name is letters, digits, '_', '-' and '.'";
  }
  if (ns == "env") {
    if (is_env_name(rest)) return "";
    return "bad variable " + shown + ": an environment variable name is letters, digits and '_'";
  }
  return "unknown variable namespace '" + std::string(ns) + "' in " + shown +
         ": use call, param, env, pipeline or recording";
}

TemplateScan scan_variables(std::string_view text) {
  TemplateScan scan;
  scan.error = walk(text, &scan.error_offset, [](char) {}, [&](const VariableRef& r) { scan.refs.push_back(r); });
  return scan;
}

bool is_single_variable(std::string_view text) {
  if (text.size() < 4 || text.substr(0, 2) != "${") return false;
  return find_close(text, 0) == text.size() - 1;
}

bool expand_variables(std::string_view text, const Variables& vars, std::string* out, std::string* error) {
  std::string result;
  std::string missing;
  size_t offset = 0;
  std::string syntax = walk(
      text, &offset, [&](char c) { result += c; },
      [&](const VariableRef& r) {
        const std::string* value = nullptr;
        std::string env_value;
        if (auto it = vars.find(r.name); it != vars.end()) {
          value = &it->second;
        } else if (r.name.rfind("env.", 0) == 0) {
          if (const char* e = std::getenv(r.name.c_str() + 4)) {
            env_value = e;
            value = &env_value;
          }
        }
        if (value && !value->empty()) result += *value;
        else if (r.fallback) result += *r.fallback;
        else if (value) result += *value;  // set but empty, and no default: it is what was given
        else if (missing.empty()) missing = r.name;
      });
  if (!syntax.empty()) {
    if (error) *error = syntax;
    return false;
  }
  if (!missing.empty()) {
    if (error) *error = "variable ${" + missing + "} is not set and has no default";
    return false;
  }
  *out = std::move(result);
  return true;
}

}  // namespace mediaflow::pipeline
