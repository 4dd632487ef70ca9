// The gst-launch-1.0 equivalent of a pipeline file, to reproduce a pipeline by hand.
#pragma once

#include <mediaflow/pipeline/spec.hpp>
#include <mediaflow/pipeline/variables.hpp>

#include <string>
#include <vector>

namespace mediaflow::pipeline {

// A secret property (gstutil::is_secret_property: write-only) whose value a launch line
// never shows. It is written as ${env.NAME} when its value comes from that environment
// variable (the property is exactly "${env.NAME}" and NAME is set), else as <redacted>.
struct HiddenSecret {
  std::string node;
  std::string property;
  std::string env_name;  // NAME when shown as ${env.NAME}; empty when shown as <redacted>
};

// A description gst_parse_launch() accepts: "audiotestsrc name=src ! tee name=t  t. ! …".
// Every element carries name=<node>. Empty with *error set when a variable is missing.
// Secrets are hidden (see HiddenSecret); `hidden` (may be null) lists them, so that the
// caller can say how to supply them.
std::string launch_line(const PipelineSpec& spec, const Variables& vars, std::string* error = nullptr,
                        std::vector<HiddenSecret>* hidden = nullptr);

// The same as a shell command: "gst-launch-1.0 " + the description, each word shell-quoted
// when needed, so it can be pasted into sh/bash as is.
std::string launch_command(const PipelineSpec& spec, const Variables& vars, std::string* error = nullptr,
                           std::vector<HiddenSecret>* hidden = nullptr);

}  // namespace mediaflow::pipeline
