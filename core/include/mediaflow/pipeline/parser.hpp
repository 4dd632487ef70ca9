// Pipeline file → PipelineSpec. Checks JSON syntax and the file's shape (keys, JSON types,
// node names, link ends); knows nothing of GStreamer. See validate.hpp for the full load.
#pragma once

#include <mediaflow/pipeline/spec.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace mediaflow::pipeline {

struct ParseResult {
  // Null only when the text is not JSON at all; otherwise holds everything that could be
  // read, so that later checks can still report their errors alongside these.
  std::shared_ptr<PipelineSpec> spec;
  Diagnostics errors;
};

// `file` is the name used in diagnostics.
ParseResult parse_pipeline(std::string_view text, const std::string& file);
ParseResult parse_pipeline_file(const std::filesystem::path& path);

}  // namespace mediaflow::pipeline
