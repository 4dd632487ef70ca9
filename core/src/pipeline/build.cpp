#include <mediaflow/pipeline/build.hpp>

#include "pipeline/property_value.hpp"

#include <mediaflow/metrics.hpp>
#include <mediaflow/transport/egress_sink.hpp>
#include <mediaflow/transport/ingest_src.hpp>

#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

namespace mediaflow::pipeline {
namespace {

struct Failure {
  std::string message;
};

// A link whose source pad does not exist yet ("sometimes" pads: demuxers, parsers);
// completed from pad-added.
struct DelayedLink {
  std::string src_pad;  // empty: the first source pad that appears
  GstElement* sink;     // owned by the bin; weak here
  std::string sink_pad;
};

void on_pad_added(GstElement*, GstPad* pad, gpointer data) {
  auto* link = static_cast<DelayedLink*>(data);
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC || gst_pad_is_linked(pad)) return;
  if (!link->src_pad.empty() && link->src_pad != GST_PAD_NAME(pad)) return;
  GstPad* sink = nullptr;
  if (!link->sink_pad.empty()) {
    sink = gst_element_get_static_pad(link->sink, link->sink_pad.c_str());
    if (!sink) sink = gst_element_request_pad_simple(link->sink, link->sink_pad.c_str());
  } else {
    sink = gst_element_get_compatible_pad(link->sink, pad, nullptr);
  }
  if (!sink) return;
  if (!gst_pad_is_linked(sink)) gst_pad_link(pad, sink);
  gst_object_unref(sink);
}

bool has_sometimes_src(GstElement* e) {
  for (GList* l = gst_element_class_get_pad_template_list(GST_ELEMENT_GET_CLASS(e)); l; l = l->next) {
    auto* t = static_cast<GstPadTemplate*>(l->data);
    if (GST_PAD_TEMPLATE_DIRECTION(t) == GST_PAD_SRC && GST_PAD_TEMPLATE_PRESENCE(t) == GST_PAD_SOMETIMES) return true;
  }
  return false;
}

using transport::AudioFormat;

class Builder {
 public:
  Builder(const PipelineSpec& spec, const Variables& vars, const CallPlane& plane)
      : spec_(spec), vars_(with_pipeline_name(spec, vars)), plane_(plane) {}
  ~Builder() {
    if (pipeline_) gst_object_unref(pipeline_);
  }

  GstElement* run() {
    pipeline_ = gst_pipeline_new(spec_.name.empty() ? nullptr : spec_.name.c_str());
    gst_object_ref_sink(pipeline_);
    for (const auto& node : spec_.nodes) add_node(node);
    formats_ = known_formats(spec_, plane_.format);
    for (const auto& link : spec_.links) add_link(link);
    return std::exchange(pipeline_, nullptr);
  }

 private:
  [[noreturn]] void fail(SourcePos pos, const std::string& message) { throw Failure{spec_.diag(pos, message).str()}; }

  void add_node(const NodeSpec& node) {
    const std::string factory_name = element_factory(node.element, plane_);
    GstElementFactory* factory = gst_element_factory_find(factory_name.c_str());
    if (!factory) fail(node.element_pos, "unknown element '" + factory_name + "' (node '" + node.name + "')");
    GType type = gst_element_factory_get_element_type(factory);
    if (!type) {
      auto* loaded = GST_ELEMENT_FACTORY(gst_plugin_feature_load(GST_PLUGIN_FEATURE(factory)));
      if (loaded) {
        type = gst_element_factory_get_element_type(loaded);
        gst_object_unref(loaded);
      }
    }
    auto* klass = static_cast<GObjectClass*>(type ? g_type_class_ref(type) : nullptr);
    std::vector<std::string> names{"name"};
    std::vector<GValue> values(1 + node.properties.size(), G_VALUE_INIT);
    g_value_init(&values[0], G_TYPE_STRING);
    g_value_set_string(&values[0], node.name.c_str());
    std::string problem;
    SourcePos problem_pos;
    for (const auto& prop : node.properties) {
      GParamSpec* pspec = klass ? g_object_class_find_property(klass, prop.name.c_str()) : nullptr;
      std::string text = prop.text;
      std::string why;
      if (!pspec) why = "unknown property";
      else if (prop.kind == ValueKind::String && !expand_variables(prop.text, vars_, &text, &why)) {}
      else why = property_value_from_text(pspec, prop.kind, text, &values[names.size()]);
      if (!why.empty()) {
        problem = property_label(node, prop.name) + ": " + why;
        problem_pos = prop.value_pos;
        break;
      }
      names.push_back(prop.name);
    }
    GstElement* element = nullptr;
    if (problem.empty()) {
      std::vector<const char*> cnames;
      for (const auto& n : names) cnames.push_back(n.c_str());
      element = gst_element_factory_create_with_properties(factory, static_cast<guint>(names.size()), cnames.data(), values.data());
    }
    for (auto& v : values)
      if (G_IS_VALUE(&v)) g_value_unset(&v);
    if (klass) g_type_class_unref(klass);
    gst_object_unref(factory);
    if (!problem.empty()) fail(problem_pos, problem);
    if (!element) fail(node.element_pos, "cannot create element '" + node.element + "' (node '" + node.name + "')");
    if (node.element == kIngestRole || node.element == kEgressRole) {
      const bool ingest = node.element == kIngestRole;
      if (ingest ? !MEDIAFLOW_IS_INGEST_SRC(element) : !MEDIAFLOW_IS_EGRESS_SINK(element)) {
        gst_object_unref(gst_object_ref_sink(element));
        fail(node.element_pos, "'" + factory_name + "' is not a transport " + (ingest ? "ingest" : "egress") +
                                   " element (node '" + node.name + "')");
      }
      if (ingest) transport::ingest_set_format(MEDIAFLOW_INGEST_SRC(element), plane_.format);
      else transport::egress_set_format(MEDIAFLOW_EGRESS_SINK(element), plane_.format);
      call_ends_.insert(node.name);
    }
    gst_bin_add(GST_BIN(pipeline_), element);
    elements_[node.name] = element;
  }

  // Stock converters in a row, added to the pipeline and linked: {first, last}, or nulls.
  std::pair<GstElement*, GstElement*> add_converters(const std::string& prefix, const AudioFormat& from,
                                                     const AudioFormat& to, const LinkSpec& link) {
    GstElement* first = nullptr;
    GstElement* last = nullptr;
    for (const char* factory : audio_converters(from, to)) {
      std::string name = prefix + "_" + factory;
      for (int i = 1; GstElement* taken = gst_bin_get_by_name(GST_BIN(pipeline_), name.c_str()); ++i) {
        gst_object_unref(taken);
        name = prefix + "_" + factory + std::to_string(i);
      }
      GstElement* e = gst_element_factory_make(factory, name.c_str());
      if (!e) fail(link.pos, std::string("cannot create '") + factory + "' to convert the call's audio");
      gst_bin_add(GST_BIN(pipeline_), e);
      if (last && !gst_element_link(last, e)) fail(link.pos, "cannot link the call's audio converters");
      if (!first) first = e;
      last = e;
    }
    return {first, last};
  }

  GstElement* element_for(const LinkEnd& end, SourcePos pos) {
    auto it = elements_.find(end.node);
    if (it == elements_.end()) fail(pos, "link refers to unknown node '" + end.node + "'");
    return it->second;
  }

  // Links two elements' pads (named or any compatible; request pads are requested).
  void link_pads(GstElement* src, const std::string& src_pad, GstElement* sink, const std::string& sink_pad,
                 const LinkSpec& link) {
    if (gst_element_link_pads(src, src_pad.empty() ? nullptr : src_pad.c_str(), sink,
                              sink_pad.empty() ? nullptr : sink_pad.c_str()))
      return;
    bool pad_exists = false;
    if (!src_pad.empty()) {
      if (GstPad* p = gst_element_get_static_pad(src, src_pad.c_str())) {
        pad_exists = true;
        gst_object_unref(p);
      }
    }
    if (!pad_exists && has_sometimes_src(src)) {
      auto* delayed = new DelayedLink{src_pad, sink, sink_pad};
      g_signal_connect_data(src, "pad-added", G_CALLBACK(on_pad_added), delayed,
                            [](gpointer d, GClosure*) { delete static_cast<DelayedLink*>(d); }, GConnectFlags(0));
      return;
    }
    fail(link.pos, "cannot link '" + std::string(GST_ELEMENT_NAME(src)) + (src_pad.empty() ? "" : "." + src_pad) +
                       "' to '" + GST_ELEMENT_NAME(sink) + (sink_pad.empty() ? "" : "." + sink_pad) +
                       "': their pads are not compatible (check the caps each side accepts)");
  }

  void add_link(const LinkSpec& link) {
    GstElement* src = element_for(link.from, link.from_pos);
    GstElement* sink = element_for(link.to, link.to_pos);
    if (!link.caps) {
      link_pads(src, link.from.pad, sink, link.to.pad, link);
      return;
    }
    GstCaps* caps = gst_caps_from_string(link.caps->c_str());
    if (!caps) fail(link.caps_pos, "bad caps '" + *link.caps + "'");
    // Upstream's format, where known (@ingest, and the tees and queues it feeds).
    const auto known = formats_.find(link.from.node);
    const std::optional<AudioFormat> upstream =
        known == formats_.end() ? std::nullopt : std::optional<AudioFormat>(known->second);
    const std::optional<AudioFormat> wanted = audio_format_of_caps(caps, upstream.value_or(plane_.format));
    std::string name = link.from.node + "_" + link.to.node + "_caps";
    // gst_bin_get_by_name returns a reference: every one taken is given back.
    for (int i = 1; GstElement* taken = gst_bin_get_by_name(GST_BIN(pipeline_), name.c_str()); ++i) {
      gst_object_unref(taken);
      name = link.from.node + "_" + link.to.node + "_caps" + std::to_string(i);
    }
    GstElement* filter = gst_element_factory_make("capsfilter", name.c_str());
    g_object_set(filter, "caps", caps, nullptr);
    gst_caps_unref(caps);
    gst_bin_add(GST_BIN(pipeline_), filter);
    // From a node whose format is known (the call's ingest, a tee or queue after it): that
    // format → the link's caps.
    std::string src_pad = link.from.pad;
    if (upstream && wanted) {
      auto [first, last] = add_converters(link.from.node, *upstream, *wanted, link);
      if (first) {
        link_pads(src, src_pad, first, "sink", link);
        src = last;
        src_pad.clear();
      }
    }
    link_pads(src, src_pad, filter, "sink", link);
    // To the call's egress: the link's caps → its format.
    if (call_ends_.count(link.to.node) && wanted) {
      auto [first, last] = add_converters(link.to.node, *wanted, plane_.format, link);
      if (first) {
        if (!gst_element_link_pads(filter, "src", first, "sink"))
          fail(link.caps_pos, "cannot convert caps '" + *link.caps + "' to the call's audio");
        filter = last;
      }
    }
    if (!gst_element_link_pads(filter, "src", sink, link.to.pad.empty() ? nullptr : link.to.pad.c_str()))
      fail(link.caps_pos, "cannot link caps '" + *link.caps + "' to '" + link.to.node +
                              (link.to.pad.empty() ? "" : "." + link.to.pad) + "': the caps are not accepted there");
  }

  // ${pipeline.name}: the file's own name, so a copy of a pipeline names itself.
  static Variables with_pipeline_name(const PipelineSpec& spec, Variables vars) {
    vars.emplace("pipeline.name", spec.name);
    return vars;
  }

  const PipelineSpec& spec_;
  const Variables vars_;
  const CallPlane& plane_;
  GstElement* pipeline_ = nullptr;
  std::map<std::string, GstElement*> elements_;
  std::set<std::string> call_ends_;  // the nodes that are the call's ingest or egress
  std::map<std::string, AudioFormat> formats_;  // a node's output format, where known (known_formats)
};

}  // namespace

BuildResult build_pipeline(const PipelineSpec& spec, const Variables& vars, const CallPlane& plane) {
  BuildResult result;
  try {
    result.pipeline = Builder(spec, vars, plane).run();
    // Counted until the pipeline is finalized, so a reference kept after a call shows up in
    // mediaflow_pipelines_live (the soak found every call's pipeline alive at refcount 8).
    metrics().pipelines_live().inc();
    g_object_weak_ref(G_OBJECT(result.pipeline), [](gpointer, GObject*) { metrics().pipelines_live().dec(); },
                      nullptr);
  } catch (const Failure& f) {
    result.error = f.message;
  }
  return result;
}

}  // namespace mediaflow::pipeline
