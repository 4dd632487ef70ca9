// Shared option parsing of the pipeline subcommands: FILE [--set k=v …].
#pragma once

#include "cli/commands.hpp"

#include <mediaflow/pipeline/spec.hpp>
#include <mediaflow/pipeline/variables.hpp>

#include <gst/gst.h>

#include <memory>

#include <string>

namespace mediaflow::cli {

struct PipelineArgs {
  std::string file;
  pipeline::Variables vars;
};

// "--set k=v" / "--set=k=v"; a key without a namespace ("pipeline") means "param.pipeline".
// False with a message on stderr for bad usage.
bool parse_pipeline_args(const Args& args, const char* command, PipelineArgs* out);

// Loads and validates a pipeline file; prints every error to stderr. Null on error.
std::shared_ptr<const pipeline::PipelineSpec> load_or_report(const std::string& file);

// Loads, validates and builds FILE with its --set variables (what run and graph play or draw);
// every error printed to stderr. The pipeline (the caller's reference), or null.
GstElement* build_or_report(const PipelineArgs& args);

}  // namespace mediaflow::cli
