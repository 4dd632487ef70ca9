// Validation against the live GStreamer registry (call after gst_init and plugin loading):
// unknown element, unknown / read-only / ill-typed / out-of-range property, duplicate node,
// dangling link or unknown pad, bad caps, unknown variable. Every error is reported.
#pragma once

#include <mediaflow/pipeline/parser.hpp>

namespace mediaflow::pipeline {

Diagnostics validate_pipeline(const PipelineSpec& spec);

struct LoadResult {
  std::shared_ptr<const PipelineSpec> spec;  // null when there was any error
  Diagnostics errors;                        // parse and validation errors, in file order
};

// Parse + validate.
LoadResult load_pipeline(std::string_view text, const std::string& file);
LoadResult load_pipeline_file(const std::filesystem::path& path);

}  // namespace mediaflow::pipeline
