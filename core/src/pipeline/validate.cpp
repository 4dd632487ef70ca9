#include <mediaflow/pipeline/validate.hpp>

#include <mediaflow/pipeline/call_plane.hpp>
#include <mediaflow/pipeline/variables.hpp>

#include "pipeline/property_value.hpp"

#include <gst/gst.h>

#include <algorithm>
#include <map>

namespace mediaflow::pipeline {
namespace {

// A loaded element factory and its class, for the nodes that name a known element.
struct ElementInfo {
  GstElementFactory* factory = nullptr;
  GObjectClass* klass = nullptr;
};

class Validator {
 public:
  explicit Validator(const PipelineSpec& spec) : spec_(spec) {}
  ~Validator() {
    for (auto& [name, info] : elements_) {
      g_type_class_unref(info.klass);
      gst_object_unref(info.factory);
    }
  }

  Diagnostics run() {
    for (const auto& node : spec_.nodes) check_node(node);
    for (const auto& link : spec_.links) check_link(link);
    return std::move(out_);
  }

 private:
  void error(SourcePos pos, std::string message) { out_.push_back(spec_.diag(pos, std::move(message))); }

  void check_node(const NodeSpec& node) {
    if (node.element.empty()) return;  // reported by the parser
    // "@ingest"/"@egress": checked as the default plane's elements (their properties are the
    // base classes' and Twilio's; another transport's elements are checked when built).
    const std::string factory = element_factory(node.element, CallPlane{});
    GstElementFactory* found = gst_element_factory_find(factory.c_str());
    if (!found) {
      error(node.element_pos, "unknown element '" + node.element + "' (node '" + node.name +
                                  "'); 'mediaflow plugins' lists ours, gst-inspect-1.0 the stock ones");
      return;
    }
    auto* loaded = GST_ELEMENT_FACTORY(gst_plugin_feature_load(GST_PLUGIN_FEATURE(found)));
    gst_object_unref(found);
    if (!loaded) {
      error(node.element_pos, "element '" + node.element + "' is registered but its plugin cannot be loaded");
      return;
    }
    ElementInfo info{loaded, static_cast<GObjectClass*>(g_type_class_ref(gst_element_factory_get_element_type(loaded)))};
    elements_[node.name] = info;
    for (const auto& prop : node.properties) check_property(node, info.klass, prop);
  }

  void check_property(const NodeSpec& node, GObjectClass* klass, const PropertySpec& prop) {
    GParamSpec* pspec = g_object_class_find_property(klass, prop.name.c_str());
    if (!pspec) {
      error(prop.name_pos, "unknown property '" + prop.name + "' of element '" + node.element + "' (node '" +
                               node.name + "'); 'mediaflow inspect " + node.element + "' lists them");
      return;
    }
    if (!(pspec->flags & G_PARAM_WRITABLE)) {
      error(prop.name_pos, property_label(node, prop.name) + " is read-only");
      return;
    }
    std::string text = prop.text;
    if (prop.kind == ValueKind::String) {
      TemplateScan scan = scan_variables(prop.text);
      if (!scan.error.empty()) {
        error(prop.value_pos, property_label(node, prop.name) + ": " + scan.error);
        return;
      }
      // Typed only once substituted, at build time.
      if (!scan.refs.empty()) return;
      std::string why;
      expand_variables(prop.text, {}, &text, &why);  // only unescapes "$$"
    }
    GValue value = G_VALUE_INIT;
    std::string why = property_value_from_text(pspec, prop.kind, text, &value);
    if (G_IS_VALUE(&value)) g_value_unset(&value);
    if (!why.empty()) error(prop.value_pos, property_label(node, prop.name) + ": " + why);
  }

  static std::string template_names(GstElementFactory* f, GstPadDirection dir) {
    std::string names;
    for (const GList* l = gst_element_factory_get_static_pad_templates(f); l; l = l->next) {
      auto* t = static_cast<GstStaticPadTemplate*>(l->data);
      if (t->direction == dir) names += std::string(names.empty() ? "" : ", ") + t->name_template;
    }
    return names.empty() ? "none" : names;
  }

  void check_end(const LinkEnd& end, SourcePos pos, GstPadDirection dir) {
    const char* side = dir == GST_PAD_SRC ? "source" : "sink";
    const NodeSpec* node = spec_.find_node(end.node);
    if (!node) {
      error(pos, std::string("link ") + (dir == GST_PAD_SRC ? "from" : "to") + " unknown node '" + end.node + "'");
      return;
    }
    auto it = elements_.find(end.node);
    if (it == elements_.end()) return;  // element unknown: already reported
    GstElementFactory* f = it->second.factory;
    bool any_of_dir = false;
    bool other_dir_match = false;
    for (const GList* l = gst_element_factory_get_static_pad_templates(f); l; l = l->next) {
      auto* t = static_cast<GstStaticPadTemplate*>(l->data);
      if (t->direction == dir) {
        any_of_dir = true;
        if (end.pad.empty() || pad_template_matches(t->name_template, end.pad)) return;
      } else if (!end.pad.empty() && pad_template_matches(t->name_template, end.pad)) {
        other_dir_match = true;
      }
    }
    std::string who = "node '" + node->name + "' (" + node->element + ")";
    if (end.pad.empty()) {
      if (!any_of_dir) error(pos, who + " has no " + side + " pads");
      return;
    }
    if (other_dir_match) {
      error(pos, "pad '" + end.pad + "' of " + who + " is not a " + side + " pad (link \"from\" a source pad \"to\" a sink pad)");
      return;
    }
    error(pos, who + " has no " + side + " pad '" + end.pad + "' (" + side + " pads: " + template_names(f, dir) + ")");
  }

  void check_link(const LinkSpec& link) {
    check_end(link.from, link.from_pos, GST_PAD_SRC);
    check_end(link.to, link.to_pos, GST_PAD_SINK);
    if (link.caps) {
      GstCaps* caps = gst_caps_from_string(link.caps->c_str());
      if (!caps) error(link.caps_pos, "bad caps '" + *link.caps + "'");
      else gst_caps_unref(caps);
    }
  }

  const PipelineSpec& spec_;
  std::map<std::string, ElementInfo> elements_;
  Diagnostics out_;
};

LoadResult finish(ParseResult parsed) {
  LoadResult result;
  result.errors = std::move(parsed.errors);
  if (!parsed.spec) return result;
  Diagnostics more = validate_pipeline(*parsed.spec);
  result.errors.insert(result.errors.end(), more.begin(), more.end());
  sort_by_position(result.errors);
  if (result.errors.empty()) result.spec = std::move(parsed.spec);
  return result;
}

}  // namespace

Diagnostics validate_pipeline(const PipelineSpec& spec) { return Validator(spec).run(); }

LoadResult load_pipeline(std::string_view text, const std::string& file) { return finish(parse_pipeline(text, file)); }

LoadResult load_pipeline_file(const std::filesystem::path& path) { return finish(parse_pipeline_file(path)); }

}  // namespace mediaflow::pipeline
