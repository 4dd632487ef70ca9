#include <mediaflow/pipeline/graph.hpp>

#include <mediaflow/gstutil/secret_property.hpp>
#include <mediaflow/protocol/redact.hpp>

#include <cstring>
#include <vector>

namespace mediaflow::pipeline {
namespace {

// Shorter secrets are not looked for in the finished text: they would match ordinary values
// ("8000", "yes"), and refusing every graph that contains them protects nothing.
constexpr size_t kMinCheckedSecret = 4;

std::string take(gchar* s) {
  std::string out(s ? s : "");
  g_free(s);
  return out;
}

std::string escape(const std::string& s) { return take(g_strescape(s.c_str(), nullptr)); }

// A value as gst_debug_bin_to_dot_data writes it in an element's label (with
// GST_DEBUG_GRAPH_SHOW_FULL_PARAMS: never shortened): g_strdup_value_contents, escaped again
// for the DOT string. A string "a\"b" becomes \"a\\\"b\".
std::string dot_value(const GValue* value) { return escape(take(g_strdup_value_contents(value))); }

std::string dot_string(const std::string& s) {
  GValue v = G_VALUE_INIT;
  g_value_init(&v, G_TYPE_STRING);
  g_value_set_string(&v, s.c_str());
  std::string out = dot_value(&v);
  g_value_unset(&v);
  return out;
}

// Replaces every whole property line `from`: one followed by the next line (backslash, n) or by
// the end of the label ('"'), so that the line of key=12 leaves key=123 alone.
void replace_lines(std::string* text, const std::string& from, const std::string& to) {
  for (size_t at = text->find(from); at != std::string::npos; at = text->find(from, at + 1)) {
    const size_t end = at + from.size();
    if (end < text->size() && ((*text)[end] == '"' || text->compare(end, 2, "\\n") == 0))
      text->replace(at, from.size(), to);
  }
}

// One property line of a label: "\n" (backslash, n: DOT's line break) + name=value.
std::string label_line(const char* property, const std::string& value) {
  return std::string("\\n") + property + "=" + value;
}

struct Rewrite {
  std::string from;
  std::string to;
};

// A value that must not be in the finished text, in every form it could take there.
struct Guarded {
  std::string node;
  std::string property;
  std::vector<std::string> forms;
};

// The rewrites of one element's labelled properties, and what must be gone afterwards.
void plan(GstElement* element, std::vector<Rewrite>* rewrites, std::vector<Guarded>* guarded) {
  guint n = 0;
  GParamSpec** specs = g_object_class_list_properties(G_OBJECT_GET_CLASS(element), &n);
  for (guint i = 0; i < n; ++i) {
    GParamSpec* pspec = specs[i];
    // What GStreamer labels: readable, not at its default.
    if (!(pspec->flags & G_PARAM_READABLE)) continue;
    GValue value = G_VALUE_INIT;
    g_value_init(&value, pspec->value_type);
    g_object_get_property(G_OBJECT(element), pspec->name, &value);
    if (!g_param_value_defaults(pspec, &value)) {
      const std::string shown = dot_value(&value);
      const bool is_string = G_VALUE_HOLDS_STRING(&value);
      const char* text = is_string ? g_value_get_string(&value) : nullptr;
      if (gstutil::is_secret_property(pspec)) {
        rewrites->push_back({label_line(pspec->name, shown), label_line(pspec->name, "<redacted>")});
        Guarded g{GST_OBJECT_NAME(element), pspec->name, {}};
        if (text && std::strlen(text) >= kMinCheckedSecret) g.forms = {text, escape(text), escape(escape(text))};
        else if (!is_string && shown.size() >= kMinCheckedSecret) g.forms = {shown};
        if (!g.forms.empty()) guarded->push_back(std::move(g));
      } else if (text) {
        const std::string redacted = protocol::redact_url_credentials(text);
        if (redacted != text) {
          rewrites->push_back({label_line(pspec->name, shown), label_line(pspec->name, dot_string(redacted))});
          guarded->push_back({GST_OBJECT_NAME(element), pspec->name, {shown}});
        }
      }
    }
    g_value_unset(&value);
  }
  g_free(specs);
}

void plan_element(const GValue* item, gpointer data) {
  auto* acc = static_cast<std::pair<std::vector<Rewrite>*, std::vector<Guarded>*>*>(data);
  plan(GST_ELEMENT(g_value_get_object(item)), acc->first, acc->second);
}

}  // namespace

std::string pipeline_dot(GstElement* pipeline, std::string* error) {
  std::vector<Rewrite> rewrites;
  std::vector<Guarded> guarded;
  std::pair<std::vector<Rewrite>*, std::vector<Guarded>*> acc{&rewrites, &guarded};
  // The bin's own label carries its properties too; then every element, inside bins as well.
  plan(pipeline, &rewrites, &guarded);
  GstIterator* it = gst_bin_iterate_recurse(GST_BIN(pipeline));
  while (gst_iterator_foreach(it, plan_element, &acc) == GST_ITERATOR_RESYNC) {
    gst_iterator_resync(it);
    rewrites.clear();
    guarded.clear();
    plan(pipeline, &rewrites, &guarded);
  }
  gst_iterator_free(it);

  std::string dot = take(gst_debug_bin_to_dot_data(GST_BIN(pipeline), kGraphDetails));
  if (dot.empty()) {
    *error = "this GStreamer was built without its debugging system and cannot draw pipelines";
    return {};
  }
  for (const auto& r : rewrites) replace_lines(&dot, r.from, r.to);
  for (const auto& g : guarded) {
    for (const auto& form : g.forms) {
      if (dot.find(form) != std::string::npos) {
        *error = "cannot draw the pipeline without showing the value of property '" + g.property + "' of node '" +
                 g.node + "' (a secret, or a URL with credentials)";
        return {};
      }
    }
  }
  return dot;
}

}  // namespace mediaflow::pipeline
