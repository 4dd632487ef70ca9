#include "pipeline/property_value.hpp"

#include <mediaflow/gstutil/secret_property.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace mediaflow::pipeline {
namespace {

const char* kind_name(ValueKind k) {
  switch (k) {
    case ValueKind::String: return "a string";
    case ValueKind::Integer: return "an integer";
    case ValueKind::Number: return "a number";
    case ValueKind::Boolean: return "a boolean";
  }
  return "?";
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

bool parse_signed(const std::string& text, long double* v) {
  if (text.empty()) return false;
  const char* s = text.c_str();
  char* end = nullptr;
  errno = 0;
  long long x = std::strtoll(s, &end, 10);
  if (*end || end == s || g_ascii_isspace(s[0])) return false;
  if (errno == ERANGE) {
    // Beyond int64: maybe a large uint64.
    if (text[0] == '-') return false;
    errno = 0;
    unsigned long long u = std::strtoull(s, &end, 10);
    if (*end || errno == ERANGE) return false;
    *v = static_cast<long double>(u);
    return true;
  }
  *v = static_cast<long double>(x);
  return true;
}

bool parse_double(const std::string& text, double* v) {
  if (text.empty() || g_ascii_isspace(text[0])) return false;
  char* end = nullptr;
  *v = g_ascii_strtod(text.c_str(), &end);
  return end && !*end && std::isfinite(*v);
}

template <typename T>
std::string range_text(T lo, T hi) {
  return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
}

std::string double_text(double d) {
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_ascii_formatd(buf, sizeof buf, "%.12g", d);
}

// Integer-like property types, with their bounds as long double (exact for the ranges used).
bool int_bounds(GParamSpec* p, long double* lo, long double* hi) {
  GType t = G_PARAM_SPEC_VALUE_TYPE(p);
  switch (G_TYPE_FUNDAMENTAL(t)) {
    case G_TYPE_INT: *lo = G_PARAM_SPEC_INT(p)->minimum; *hi = G_PARAM_SPEC_INT(p)->maximum; return true;
    case G_TYPE_UINT: *lo = G_PARAM_SPEC_UINT(p)->minimum; *hi = G_PARAM_SPEC_UINT(p)->maximum; return true;
    case G_TYPE_INT64: *lo = G_PARAM_SPEC_INT64(p)->minimum; *hi = G_PARAM_SPEC_INT64(p)->maximum; return true;
    case G_TYPE_UINT64: *lo = G_PARAM_SPEC_UINT64(p)->minimum; *hi = G_PARAM_SPEC_UINT64(p)->maximum; return true;
    case G_TYPE_LONG: *lo = G_PARAM_SPEC_LONG(p)->minimum; *hi = G_PARAM_SPEC_LONG(p)->maximum; return true;
    case G_TYPE_ULONG: *lo = G_PARAM_SPEC_ULONG(p)->minimum; *hi = G_PARAM_SPEC_ULONG(p)->maximum; return true;
    case G_TYPE_CHAR: *lo = G_PARAM_SPEC_CHAR(p)->minimum; *hi = G_PARAM_SPEC_CHAR(p)->maximum; return true;
    case G_TYPE_UCHAR: *lo = G_PARAM_SPEC_UCHAR(p)->minimum; *hi = G_PARAM_SPEC_UCHAR(p)->maximum; return true;
    default: return false;
  }
}

std::string int_text(long double v) {
  if (v < 0) return std::to_string(static_cast<long long>(v));
  return std::to_string(static_cast<unsigned long long>(v));
}

std::string set_integer(GParamSpec* p, long double v, GValue* out) {
  long double lo = 0, hi = 0;
  int_bounds(p, &lo, &hi);
  if (v < lo || v > hi) return int_text(v) + " is out of range [" + int_text(lo) + ", " + int_text(hi) + "]";
  g_value_init(out, G_PARAM_SPEC_VALUE_TYPE(p));
  switch (G_TYPE_FUNDAMENTAL(G_PARAM_SPEC_VALUE_TYPE(p))) {
    case G_TYPE_INT: g_value_set_int(out, static_cast<gint>(v)); break;
    case G_TYPE_UINT: g_value_set_uint(out, static_cast<guint>(v)); break;
    case G_TYPE_INT64: g_value_set_int64(out, static_cast<gint64>(v)); break;
    case G_TYPE_UINT64: g_value_set_uint64(out, static_cast<guint64>(v)); break;
    case G_TYPE_LONG: g_value_set_long(out, static_cast<glong>(v)); break;
    case G_TYPE_ULONG: g_value_set_ulong(out, static_cast<gulong>(v)); break;
    case G_TYPE_CHAR: g_value_set_schar(out, static_cast<gint8>(v)); break;
    case G_TYPE_UCHAR: g_value_set_uchar(out, static_cast<guchar>(v)); break;
  }
  return "";
}

std::string enum_choices(GEnumClass* klass) {
  std::string s;
  for (guint i = 0; i < klass->n_values; ++i) s += std::string(i ? ", " : "") + klass->values[i].value_nick;
  return s;
}

std::string set_enum(GParamSpec* p, ValueKind kind, const std::string& text, GValue* out) {
  GEnumClass* klass = G_PARAM_SPEC_ENUM(p)->enum_class;
  const GEnumValue* ev = nullptr;
  long double num = 0;
  if (kind == ValueKind::String) {
    ev = g_enum_get_value_by_nick(klass, text.c_str());
    if (!ev) ev = g_enum_get_value_by_name(klass, text.c_str());
  }
  // A number beyond gint is no value of the enum (and must not be cast to one).
  if (!ev && (kind == ValueKind::Integer || kind == ValueKind::String) && parse_signed(text, &num) &&
      num >= G_MININT && num <= G_MAXINT)
    ev = g_enum_get_value(klass, static_cast<gint>(num));
  if (!ev) {
    if (kind != ValueKind::String && kind != ValueKind::Integer)
      return std::string("expected one of ") + enum_choices(klass) + ", got " + kind_name(kind);
    return "expected one of " + enum_choices(klass) + ", got " + quoted(text);
  }
  g_value_init(out, G_PARAM_SPEC_VALUE_TYPE(p));
  g_value_set_enum(out, ev->value);
  return "";
}

std::string set_flags(GParamSpec* p, ValueKind kind, const std::string& text, GValue* out) {
  GFlagsClass* klass = G_PARAM_SPEC_FLAGS(p)->flags_class;
  std::string choices;
  for (guint i = 0; i < klass->n_values; ++i) choices += std::string(i ? ", " : "") + klass->values[i].value_nick;
  guint flags = 0;
  long double num = 0;
  if (kind == ValueKind::Integer || (kind == ValueKind::String && parse_signed(text, &num))) {
    if (kind == ValueKind::Integer) parse_signed(text, &num);
    if (num < 0 || num > G_MAXUINT || (static_cast<guint>(num) & ~klass->mask))
      return quoted(text) + " has bits outside the flags (" + choices + ")";
    flags = static_cast<guint>(num);
  } else if (kind == ValueKind::String) {
    gchar** parts = g_strsplit_set(text.c_str(), "+|", -1);
    for (gchar** part = parts; *part; ++part) {
      std::string word = g_strstrip(*part);
      if (word.empty()) continue;
      const GFlagsValue* fv = g_flags_get_value_by_nick(klass, word.c_str());
      if (!fv) fv = g_flags_get_value_by_name(klass, word.c_str());
      if (!fv) {
        g_strfreev(parts);
        return "unknown flag " + quoted(word) + " (flags: " + choices + ", joined with '+')";
      }
      flags |= fv->value;
    }
    g_strfreev(parts);
  } else {
    return std::string("expected flags (") + choices + "), got " + kind_name(kind);
  }
  g_value_init(out, G_PARAM_SPEC_VALUE_TYPE(p));
  g_value_set_flags(out, flags);
  return "";
}

std::string value_from_text(GParamSpec* p, ValueKind kind, const std::string& text, GValue* out) {
  GType type = G_PARAM_SPEC_VALUE_TYPE(p);
  GType fundamental = G_TYPE_FUNDAMENTAL(type);
  long double lo = 0, hi = 0;

  if (int_bounds(p, &lo, &hi)) {
    long double v = 0;
    if (kind == ValueKind::Boolean || kind == ValueKind::Number || !parse_signed(text, &v))
      return "expected an integer, got " + (kind == ValueKind::String ? quoted(text) : std::string(kind_name(kind)) + " " + text);
    return set_integer(p, v, out);
  }
  if (fundamental == G_TYPE_DOUBLE || fundamental == G_TYPE_FLOAT) {
    double v = 0;
    if (kind == ValueKind::Boolean || !parse_double(text, &v))
      return "expected a number, got " + (kind == ValueKind::String ? quoted(text) : std::string(kind_name(kind)));
    double dlo = fundamental == G_TYPE_DOUBLE ? G_PARAM_SPEC_DOUBLE(p)->minimum : G_PARAM_SPEC_FLOAT(p)->minimum;
    double dhi = fundamental == G_TYPE_DOUBLE ? G_PARAM_SPEC_DOUBLE(p)->maximum : G_PARAM_SPEC_FLOAT(p)->maximum;
    if (v < dlo || v > dhi) return text + " is out of range [" + double_text(dlo) + ", " + double_text(dhi) + "]";
    g_value_init(out, type);
    if (fundamental == G_TYPE_DOUBLE) g_value_set_double(out, v);
    else g_value_set_float(out, static_cast<float>(v));
    return "";
  }
  if (fundamental == G_TYPE_BOOLEAN) {
    bool v;
    if (kind == ValueKind::Boolean || kind == ValueKind::String) {
      if (!g_ascii_strcasecmp(text.c_str(), "true") || !g_ascii_strcasecmp(text.c_str(), "yes") || text == "1") v = true;
      else if (!g_ascii_strcasecmp(text.c_str(), "false") || !g_ascii_strcasecmp(text.c_str(), "no") || text == "0") v = false;
      else return "expected true or false, got " + quoted(text);
    } else {
      return std::string("expected true or false, got ") + kind_name(kind) + " " + text;
    }
    g_value_init(out, type);
    g_value_set_boolean(out, v);
    return "";
  }
  if (fundamental == G_TYPE_ENUM) return set_enum(p, kind, text, out);
  if (fundamental == G_TYPE_FLAGS) return set_flags(p, kind, text, out);
  if (fundamental == G_TYPE_STRING) {
    if (kind != ValueKind::String) return std::string("expected a string, got ") + kind_name(kind) + " " + text + " (quote it)";
    g_value_init(out, type);
    g_value_set_string(out, text.c_str());
    return "";
  }
  if (kind != ValueKind::String) return std::string("expected a string for type ") + g_type_name(type) + ", got " + kind_name(kind);
  if (g_type_is_a(type, G_TYPE_OBJECT) || fundamental == G_TYPE_POINTER)
    return std::string("a property of type ") + g_type_name(type) + " cannot be set from a pipeline file";
  g_value_init(out, type);
  if (!gst_value_deserialize(out, text.c_str())) {
    g_value_unset(out);
    return "cannot read " + quoted(text) + " as " + g_type_name(type);
  }
  return "";
}

}  // namespace

std::string property_value_from_text(GParamSpec* p, ValueKind kind, const std::string& text, GValue* out) {
  std::string why = value_from_text(p, kind, text, out);
  // A secret's value never reaches a message (docs/plugin-authoring.md, "Secrets").
  if (!why.empty() && gstutil::is_secret_property(p))
    return std::string("not a valid ") + g_type_name(G_PARAM_SPEC_VALUE_TYPE(p)) + " (a secret: its value is not shown)";
  return why;
}

bool pad_template_matches(std::string_view tmpl, std::string_view pad) {
  if (tmpl == pad) return true;
  auto pct = tmpl.find('%');
  if (pct == std::string_view::npos || pct + 1 >= tmpl.size()) return false;
  std::string_view prefix = tmpl.substr(0, pct);
  std::string_view suffix = tmpl.substr(pct + 2);
  char conv = tmpl[pct + 1];
  if (pad.size() <= prefix.size() + suffix.size()) return false;
  if (pad.substr(0, prefix.size()) != prefix || pad.substr(pad.size() - suffix.size()) != suffix) return false;
  std::string_view middle = pad.substr(prefix.size(), pad.size() - prefix.size() - suffix.size());
  if (conv == 's') return true;
  if (conv != 'u' && conv != 'd') return false;
  for (char c : middle)
    if (!g_ascii_isdigit(c)) return false;
  return true;
}

std::string property_label(const NodeSpec& node, const std::string& property) {
  return "property '" + property + "' of node '" + node.name + "' (" + node.element + ")";
}

}  // namespace mediaflow::pipeline
