// What "@ingest" and "@egress" stand for when a pipeline is built: the call's transport
// elements (its ingest and egress, transport/ingest_src.hpp and egress_sink.hpp) and the audio
// format they speak. A pipeline file that names the roles instead of twiliosrc/twiliosink runs
// unchanged on every media plane; where a link from @ingest or to @egress carries caps, the
// builder converts between them and the call's format (mulawdec/mulawenc, audioconvert,
// audioresample: only what differs), and a link without caps keeps the call's own format
// (an echo stays byte-exact on every plane). The call's format also passes unchanged through
// a `tee` or `queue` fed from @ingest, so a link with caps from one of those is converted the
// same way (known_formats): one branch of a tee can decode while another takes the call's
// audio as it is.
#pragma once

#include <mediaflow/pipeline/spec.hpp>
#include <mediaflow/transport/audio_format.hpp>

#include <gst/gst.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::pipeline {

inline constexpr std::string_view kIngestRole = "@ingest";
inline constexpr std::string_view kEgressRole = "@egress";

struct CallPlane {
  // Without a call (mediaflow run, validate, graph, gst tools): Twilio's, replaying captures.
  std::string ingest_factory = "twiliosrc";
  std::string egress_factory = "twiliosink";
  transport::AudioFormat format;  // of one track: 8 kHz mu-law mono by default
};

// The element factory a node's "element" names on this plane.
inline std::string element_factory(const std::string& element, const CallPlane& plane) {
  if (element == kIngestRole) return plane.ingest_factory;
  if (element == kEgressRole) return plane.egress_factory;
  return element;
}

// The format a link's caps ask for, completed from `call` where they leave a field open;
// nullopt when they are not audio the plane converts (then the link is made as written).
std::optional<transport::AudioFormat> audio_format_of_caps(GstCaps* caps, const transport::AudioFormat& call);

// The stock elements that turn `from` into `to`, in order: only what differs.
std::vector<const char*> audio_converters(const transport::AudioFormat& from, const transport::AudioFormat& to);

// The audio format of each node's output where it is known before anything runs: @ingest's is
// `call`; a `tee` or `queue` fed by a node of known format has that format, or its link's caps
// (completed from it) when the link has audio caps. Links count in any order. Nodes absent:
// unknown (a link with caps from them gets only its capsfilter).
std::map<std::string, transport::AudioFormat> known_formats(const PipelineSpec& spec, const transport::AudioFormat& call);

}  // namespace mediaflow::pipeline
