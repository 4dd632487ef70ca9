#include <mediaflow/pipeline/call_plane.hpp>

namespace mediaflow::pipeline {

using transport::AudioFormat;

std::optional<AudioFormat> audio_format_of_caps(GstCaps* caps, const AudioFormat& call) {
  if (gst_caps_get_size(caps) != 1) return std::nullopt;
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  AudioFormat f = call;
  if (gst_structure_has_name(s, "audio/x-mulaw")) {
    f.encoding = AudioFormat::Encoding::kMulaw;
  } else if (gst_structure_has_name(s, "audio/x-raw")) {
    const char* fmt = gst_structure_get_string(s, "format");
    if (fmt && std::string_view(fmt) != "S16LE") return std::nullopt;
    f.encoding = AudioFormat::Encoding::kS16le;
  } else {
    return std::nullopt;
  }
  if (gst_structure_has_field(s, "rate") && !gst_structure_get_int(s, "rate", &f.rate)) return std::nullopt;
  if (gst_structure_has_field(s, "channels") && !gst_structure_get_int(s, "channels", &f.channels)) return std::nullopt;
  return f;
}

std::vector<const char*> audio_converters(const AudioFormat& from, const AudioFormat& to) {
  std::vector<const char*> out;
  if (from == to) return out;
  if (from.encoding == AudioFormat::Encoding::kMulaw) out.push_back("mulawdec");
  if (from.channels != to.channels) out.push_back("audioconvert");
  if (from.rate != to.rate) out.push_back("audioresample");
  if (to.encoding == AudioFormat::Encoding::kMulaw) out.push_back("mulawenc");
  return out;
}

std::map<std::string, AudioFormat> known_formats(const PipelineSpec& spec, const AudioFormat& call) {
  std::map<std::string, AudioFormat> formats;
  for (const auto& node : spec.nodes)
    if (node.element == kIngestRole) formats[node.name] = call;
  // Elements that pass audio on as it comes in: what leaves them is what reached them.
  const auto passes_on = [&spec](const std::string& name) {
    const NodeSpec* node = spec.find_node(name);
    return node && (node->element == "tee" || node->element == "queue");
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& link : spec.links) {
      if (formats.count(link.to.node) || !passes_on(link.to.node)) continue;
      const auto from = formats.find(link.from.node);
      std::optional<AudioFormat> f;
      if (from != formats.end()) f = from->second;
      if (link.caps) {
        // Caps completed from the upstream format where they leave a field open; from an
        // element whose output is not known, only caps that fix all of it (encoding, rate,
        // channels) make the format known.
        GstCaps* caps = gst_caps_from_string(link.caps->c_str());
        if (caps && from != formats.end()) {
          f = audio_format_of_caps(caps, from->second);
        } else if (caps && gst_caps_get_size(caps) == 1 &&
                   gst_structure_has_field(gst_caps_get_structure(caps, 0), "rate") &&
                   gst_structure_has_field(gst_caps_get_structure(caps, 0), "channels") &&
                   (!gst_structure_has_name(gst_caps_get_structure(caps, 0), "audio/x-raw") ||
                    gst_structure_has_field(gst_caps_get_structure(caps, 0), "format"))) {
          f = audio_format_of_caps(caps, AudioFormat{});
        }
        if (caps) gst_caps_unref(caps);
      }
      if (!f) continue;
      formats.emplace(link.to.node, *f);
      changed = true;
    }
  }
  return formats;
}

}  // namespace mediaflow::pipeline
