// Validated PipelineSpec + variables → a GstPipeline (elements named after the nodes).
#pragma once

#include <mediaflow/pipeline/call_plane.hpp>
#include <mediaflow/pipeline/spec.hpp>
#include <mediaflow/pipeline/variables.hpp>

#include <gst/gst.h>

#include <string>

namespace mediaflow::pipeline {

struct BuildResult {
  GstElement* pipeline = nullptr;  // owned by the caller (not floating); null on error
  std::string error;               // "file:line:col: message" when pipeline is null
};

// Properties are substituted then converted by their GParamSpec (numbers, booleans, enum
// nicks, flags, caps, …) and range-checked. Links with caps get a capsfilter named
// "<from>_<to>_caps"; request pads (tee, mixers) are requested; "sometimes" pads
// (demuxers, parsers) are linked when they appear. "@ingest"/"@egress" nodes become the
// plane's transport elements, converted to and from link caps as call_plane.hpp says.
BuildResult build_pipeline(const PipelineSpec& spec, const Variables& vars, const CallPlane& plane = {});

}  // namespace mediaflow::pipeline
