// Text (or a JSON scalar) → GValue for one element property, checked against its GParamSpec:
// the one conversion used by validation and by the build, so both agree.
#pragma once

#include <mediaflow/pipeline/spec.hpp>

#include <gst/gst.h>

#include <string>
#include <string_view>

namespace mediaflow::pipeline {

// Fills *out (unset on entry) with the value of pspec's type. Returns "" on success, else why
// not ("expected an integer, got 'abc'", "99999 is out of range [0, 20000]", …); never quotes
// the value of a secret property (gstutil::is_secret_property).
std::string property_value_from_text(GParamSpec* pspec, ValueKind kind, const std::string& text, GValue* out);

// True when a pad named `pad` can come from a template named `name_template`
// ("src", "src_%u", "sink_%d", "video_%s", …).
bool pad_template_matches(std::string_view name_template, std::string_view pad);

// "'freq' of node 'src' (audiotestsrc)" — how diagnostics name a property.
std::string property_label(const NodeSpec& node, const std::string& property);

}  // namespace mediaflow::pipeline
