// The gst-launch-1.0 equivalent of a pipeline file, to reproduce a pipeline by hand.
#pragma once

#include <mediaflow/pipeline/spec.hpp>
#include <mediaflow/pipeline/variables.hpp>

#include <string>

namespace mediaflow::pipeline {

// A description gst_parse_launch() accepts: "audiotestsrc name=src ! tee name=t  t. ! …".
// Every element carries name=<node>. Empty with *error set when a variable is missing.
std::string launch_line(const PipelineSpec& spec, const Variables& vars, std::string* error = nullptr);

// The same as a shell command: "gst-launch-1.0 " + the description, each word shell-quoted
// when needed, so it can be pasted into sh/bash as is.
std::string launch_command(const PipelineSpec& spec, const Variables& vars, std::string* error = nullptr);

}  // namespace mediaflow::pipeline
