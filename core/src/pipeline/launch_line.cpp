#include <mediaflow/pipeline/launch_line.hpp>

#include <mediaflow/pipeline/call_plane.hpp>

#include <mediaflow/gstutil/secret_property.hpp>
#include <mediaflow/protocol/redact.hpp>

#include <gst/gst.h>

#include <cstring>
#include <map>
#include <set>
#include <vector>

namespace mediaflow::pipeline {
namespace {

bool plain(const std::string& s, const char* extra) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(g_ascii_isalnum(c) || std::strchr(extra, c))) return false;
  }
  return true;
}

// A property value in gst-launch grammar: bare when safe, else double-quoted.
std::string launch_value(const std::string& v) {
  if (plain(v, "_.:/+-")) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string shell_word(const std::string& w) {
  if (plain(w, "_.:/+-=,@%!")) return w;
  std::string out = "'";
  for (char c : w) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// The property specs of the elements a pipeline names, to tell secrets apart.
class PropertyLookup {
 public:
  PropertyLookup() = default;
  PropertyLookup(const PropertyLookup&) = delete;
  PropertyLookup& operator=(const PropertyLookup&) = delete;
  ~PropertyLookup() {
    for (auto& [name, klass] : classes_)
      if (klass) g_type_class_unref(klass);
  }

  // Null when the element or the property is unknown.
  GParamSpec* find(const std::string& element, const std::string& property) {
    auto [it, fresh] = classes_.try_emplace(element, nullptr);
    if (fresh) it->second = element_class(element);
    return it->second ? g_object_class_find_property(it->second, property.c_str()) : nullptr;
  }

 private:
  static GObjectClass* element_class(const std::string& element) {
    GstElementFactory* found = gst_element_factory_find(element.c_str());
    if (!found) return nullptr;
    auto* loaded = GST_ELEMENT_FACTORY(gst_plugin_feature_load(GST_PLUGIN_FEATURE(found)));
    gst_object_unref(found);
    if (!loaded) return nullptr;
    GType type = gst_element_factory_get_element_type(loaded);
    gst_object_unref(loaded);
    return type ? static_cast<GObjectClass*>(g_type_class_ref(type)) : nullptr;
  }

  std::map<std::string, GObjectClass*> classes_;
};

// How a secret shows in the line: "${env.NAME}" when the value is that set environment
// variable, else "<redacted>". `env_name` gets NAME or "".
std::string secret_placeholder(const PropertySpec& p, const Variables& vars, std::string* env_name) {
  env_name->clear();
  if (p.kind == ValueKind::String && is_single_variable(p.text)) {
    TemplateScan scan = scan_variables(p.text);
    if (scan.error.empty() && scan.refs.size() == 1 && scan.refs[0].name.rfind("env.", 0) == 0) {
      const std::string& name = scan.refs[0].name;
      std::string value;
      if (expand_variables("${" + name + "}", vars, &value, nullptr) && !value.empty()) {
        *env_name = name.substr(4);
        return "${" + name + "}";
      }
    }
  }
  return "<redacted>";
}

class LineWriter {
 public:
  LineWriter(const PipelineSpec& spec, const Variables& vars, std::vector<HiddenSecret>* hidden)
      : spec_(spec), vars_(with_pipeline_name(spec, vars)), hidden_(hidden) {}

  // Words of the description, or false with *error.
  bool run(std::vector<std::string>* words, std::string* error) {
    words_ = words;
    for (size_t i = 0; i < spec_.links.size(); ++i) {
      const auto& l = spec_.links[i];
      outgoing_[l.from.node].push_back(i);
      ++incoming_[l.to.node];
    }
    for (const auto& node : spec_.nodes) {
      if (!chain_into(node.name)) {
        if (!chain(node, error)) return false;
      }
    }
    for (const auto& node : spec_.nodes) {  // cycles: nothing started them
      if (!emitted_nodes_.count(node.name) && !chain(node, error)) return false;
    }
    for (size_t i = 0; i < spec_.links.size(); ++i) {
      if (emitted_links_.count(i)) continue;
      const auto& l = spec_.links[i];
      words_->push_back(l.from.node + "." + l.from.pad);
      caps_words(l);
      words_->push_back("!");
      words_->push_back(l.to.node + "." + l.to.pad);
    }
    return true;
  }

 private:
  bool chainable(size_t i) const {
    const auto& l = spec_.links[i];
    return l.from.pad.empty() && l.to.pad.empty() && incoming_.at(l.to.node) == 1 &&
           outgoing_.at(l.from.node).size() == 1 && l.from.node != l.to.node;
  }

  // True when this node is reached inline by a chain from its single upstream node.
  bool chain_into(const std::string& name) const {
    for (size_t i = 0; i < spec_.links.size(); ++i)
      if (spec_.links[i].to.node == name && chainable(i)) return true;
    return false;
  }

  void caps_words(const LinkSpec& l) {
    if (!l.caps) return;
    // The converters the builder puts between the call's ends and the link's caps (on the
    // default plane: Twilio's 8 kHz mu-law), so the line builds what the host would.
    // From a tee or queue after @ingest too: known_formats, as the builder.
    const auto known = formats_.find(l.from.node);
    const std::optional<transport::AudioFormat> upstream =
        known == formats_.end() ? std::nullopt : std::optional<transport::AudioFormat>(known->second);
    std::optional<transport::AudioFormat> wanted;
    if (GstCaps* caps = gst_caps_from_string(l.caps->c_str())) {
      wanted = audio_format_of_caps(caps, upstream.value_or(plane_.format));
      gst_caps_unref(caps);
    }
    auto push = [&](const std::vector<const char*>& converters) {
      for (const char* c : converters) {
        words_->push_back("!");
        words_->push_back(c);
      }
    };
    if (wanted && upstream) push(audio_converters(*upstream, *wanted));
    const NodeSpec* to = spec_.find_node(l.to.node);
    const bool to_egress = wanted && to && to->element == kEgressRole;
    words_->push_back("!");
    if (plain(*l.caps, "_/,=.()+-") && l.caps->find('/') != std::string::npos) {
      words_->push_back(*l.caps);
    } else {
      words_->push_back("capsfilter");
      words_->push_back("caps=" + launch_value(*l.caps));
    }
    if (to_egress) push(audio_converters(*wanted, plane_.format));
  }

  bool declare(const NodeSpec& node, std::string* error) {
    emitted_nodes_.insert(node.name);
    words_->push_back(element_factory(node.element, plane_));
    words_->push_back("name=" + node.name);
    for (const auto& p : node.properties) {
      std::string value = p.text;
      if (p.kind == ValueKind::String && !expand_variables(p.text, vars_, &value, error)) {
        if (error) *error = spec_.diag(p.value_pos, property_label(node, p.name) + ": " + *error).str();
        return false;
      }
      if (gstutil::is_secret_property(properties_.find(element_factory(node.element, plane_), p.name))) {
        HiddenSecret secret{node.name, p.name, ""};
        value = secret_placeholder(p, vars_, &secret.env_name);
        if (hidden_) hidden_->push_back(std::move(secret));
      }
      // A URL's credentials (a signed URL's token, user:password@) never show either.
      words_->push_back(p.name + "=" + launch_value(protocol::redact_url_credentials(value)));
    }
    return true;
  }

  static std::string property_label(const NodeSpec& node, const std::string& prop) {
    return "property '" + prop + "' of node '" + node.name + "'";
  }

  bool chain(const NodeSpec& first, std::string* error) {
    const NodeSpec* node = &first;
    if (!declare(*node, error)) return false;
    for (;;) {
      auto it = outgoing_.find(node->name);
      if (it == outgoing_.end() || it->second.size() != 1 || !chainable(it->second[0])) return true;
      size_t i = it->second[0];
      const auto& l = spec_.links[i];
      const NodeSpec* next = spec_.find_node(l.to.node);
      if (!next || emitted_nodes_.count(next->name)) return true;
      emitted_links_.insert(i);
      caps_words(l);
      words_->push_back("!");
      if (!declare(*next, error)) return false;
      node = next;
    }
  }

  static Variables with_pipeline_name(const PipelineSpec& spec, Variables vars) {
    vars.emplace("pipeline.name", spec.name);  // as the builder does
    return vars;
  }

  const PipelineSpec& spec_;
  const Variables vars_;
  std::vector<HiddenSecret>* hidden_;
  PropertyLookup properties_;
  const CallPlane plane_;  // what @ingest/@egress are on a line for gst-launch-1.0
  const std::map<std::string, transport::AudioFormat> formats_ = known_formats(spec_, plane_.format);
  std::vector<std::string>* words_ = nullptr;
  std::map<std::string, std::vector<size_t>> outgoing_;
  std::map<std::string, int> incoming_;
  std::set<std::string> emitted_nodes_;
  std::set<size_t> emitted_links_;
};

}  // namespace

std::string launch_line(const PipelineSpec& spec, const Variables& vars, std::string* error,
                        std::vector<HiddenSecret>* hidden) {
  std::vector<std::string> words;
  if (!LineWriter(spec, vars, hidden).run(&words, error)) return "";
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string launch_command(const PipelineSpec& spec, const Variables& vars, std::string* error,
                           std::vector<HiddenSecret>* hidden) {
  std::vector<std::string> words;
  if (!LineWriter(spec, vars, hidden).run(&words, error)) return "";
  std::string out = "gst-launch-1.0";
  for (const auto& w : words) out += " " + shell_word(w);
  return out;
}

}  // namespace mediaflow::pipeline
