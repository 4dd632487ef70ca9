// GstStructure → one-line JSON object (fields in order, nested structures and arrays kept).
// Used to write bus events (transcripts, agent events) as JSON lines.
#pragma once

#include <gst/gst.h>

#include <string>

namespace mediaflow::gstutil {

// {"type":"<structure name>", <fields…>}. Numbers stay numbers, booleans booleans,
// GstStructure values become objects, GstValueList/GstValueArray become arrays.
std::string structure_to_json(const GstStructure* s);

}  // namespace mediaflow::gstutil
