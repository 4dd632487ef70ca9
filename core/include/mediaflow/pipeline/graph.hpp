// A built pipeline as a Graphviz DOT graph (`mediaflow graph`): GStreamer's own drawing
// (gst_debug_bin_to_dot_data) with every secret hidden.
#pragma once

#include <gst/gst.h>

#include <string>

namespace mediaflow::pipeline {

// What the graph shows: one box per element (named after its node; the capsfilter of a link
// with caps is "<from>_<to>_caps") with its pads and every property set away from its default,
// in full; one arrow per link with the media type its pads accept. No element states: a
// pipeline drawn here is built, not played.
inline constexpr GstDebugGraphDetails kGraphDetails = static_cast<GstDebugGraphDetails>(
    GST_DEBUG_GRAPH_SHOW_MEDIA_TYPE | GST_DEBUG_GRAPH_SHOW_NON_DEFAULT_PARAMS | GST_DEBUG_GRAPH_SHOW_FULL_PARAMS);

// The DOT text of `pipeline` (a GstBin, e.g. from build_pipeline) with kGraphDetails.
// GStreamer prints the values of readable properties; a readable secret
// (gstutil::is_secret_property: souphttpsrc's "user-pw") shows as user-pw=<redacted>, and the
// credentials of URLs in other string values as protocol::redact_url_credentials writes them
// ("http://user:<redacted>@host/x?token=<redacted>"). Write-only secrets (our "api-key") cannot
// be read, by GStreamer either. If a secret's value is still in the text after that (GStreamer
// wrote it some other way, or another property repeats it), nothing is returned: empty, with
// *error naming the node and the property, never the value.
std::string pipeline_dot(GstElement* pipeline, std::string* error);

}  // namespace mediaflow::pipeline
