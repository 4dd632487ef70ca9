#include "cli/commands.hpp"

#include <mediaflow/gstutil/secret_property.hpp>

#include <gst/gst.h>

#include <cstdio>
#include <string>

namespace mediaflow::cli {
namespace {

const char* presence_name(GstPadPresence p) {
  switch (p) {
    case GST_PAD_ALWAYS: return "always";
    case GST_PAD_SOMETIMES: return "sometimes";
    case GST_PAD_REQUEST: return "request";
  }
  return "?";
}

std::string value_text(const GValue* v) {
  if (!G_IS_VALUE(v)) return "";
  if (G_VALUE_HOLDS_STRING(v)) {
    const char* s = g_value_get_string(v);
    return s ? std::string("\"") + s + "\"" : "null";
  }
  // A null boxed default (basesink's last-sample) cannot be serialised: GStreamer warns.
  if ((G_VALUE_HOLDS_BOXED(v) && !g_value_get_boxed(v)) || (G_VALUE_HOLDS_OBJECT(v) && !g_value_get_object(v)))
    return "null";
  gchar* s = gst_value_serialize(v);
  std::string out = s ? s : "?";
  g_free(s);
  return out;
}

template <typename Spec>
std::string range(const Spec* p) {
  return " [" + std::to_string(p->minimum) + ", " + std::to_string(p->maximum) + "]";
}

std::string describe_type(GParamSpec* p) {
  GType t = G_PARAM_SPEC_VALUE_TYPE(p);
  switch (G_TYPE_FUNDAMENTAL(t)) {
    case G_TYPE_INT: return "int" + range(G_PARAM_SPEC_INT(p));
    case G_TYPE_UINT: return "uint" + range(G_PARAM_SPEC_UINT(p));
    case G_TYPE_INT64: return "int64" + range(G_PARAM_SPEC_INT64(p));
    case G_TYPE_UINT64: return "uint64" + range(G_PARAM_SPEC_UINT64(p));
    case G_TYPE_LONG: return "long" + range(G_PARAM_SPEC_LONG(p));
    case G_TYPE_ULONG: return "ulong" + range(G_PARAM_SPEC_ULONG(p));
    case G_TYPE_DOUBLE: {
      char lo[G_ASCII_DTOSTR_BUF_SIZE], hi[G_ASCII_DTOSTR_BUF_SIZE];
      return std::string("double [") + g_ascii_formatd(lo, sizeof lo, "%.12g", G_PARAM_SPEC_DOUBLE(p)->minimum) + ", " +
             g_ascii_formatd(hi, sizeof hi, "%.12g", G_PARAM_SPEC_DOUBLE(p)->maximum) + "]";
    }
    case G_TYPE_FLOAT: {
      char lo[G_ASCII_DTOSTR_BUF_SIZE], hi[G_ASCII_DTOSTR_BUF_SIZE];
      return std::string("float [") + g_ascii_formatd(lo, sizeof lo, "%.12g", G_PARAM_SPEC_FLOAT(p)->minimum) + ", " +
             g_ascii_formatd(hi, sizeof hi, "%.12g", G_PARAM_SPEC_FLOAT(p)->maximum) + "]";
    }
    case G_TYPE_BOOLEAN: return "boolean";
    case G_TYPE_STRING: return "string";
    case G_TYPE_ENUM: {
      GEnumClass* k = G_PARAM_SPEC_ENUM(p)->enum_class;
      std::string s = std::string("enum ") + g_type_name(t) + " {";
      for (guint i = 0; i < k->n_values; ++i) s += std::string(i ? ", " : "") + k->values[i].value_nick;
      return s + "}";
    }
    case G_TYPE_FLAGS: {
      GFlagsClass* k = G_PARAM_SPEC_FLAGS(p)->flags_class;
      std::string s = std::string("flags ") + g_type_name(t) + " {";
      for (guint i = 0; i < k->n_values; ++i) s += std::string(i ? ", " : "") + k->values[i].value_nick;
      return s + "} joined with '+'";
    }
    default: return g_type_name(t);
  }
}

void print_pad_templates(GstElementFactory* f) {
  std::printf("pads:\n");
  for (const GList* l = gst_element_factory_get_static_pad_templates(f); l; l = l->next) {
    auto* t = static_cast<GstStaticPadTemplate*>(l->data);
    GstCaps* caps = gst_static_caps_get(&t->static_caps);
    gchar* caps_text = gst_caps_to_string(caps);
    std::printf("  %-10s %-4s %-9s %s\n", t->name_template, t->direction == GST_PAD_SRC ? "src" : "sink",
                presence_name(t->presence), caps_text);
    g_free(caps_text);
    gst_caps_unref(caps);
  }
}

void print_properties(GstElement* element) {
  std::printf("properties:\n");
  guint n = 0;
  GParamSpec** specs = g_object_class_list_properties(G_OBJECT_GET_CLASS(element), &n);
  for (guint i = 0; i < n; ++i) {
    GParamSpec* p = specs[i];
    std::string access = (p->flags & G_PARAM_READABLE) ? "r" : "-";
    access += (p->flags & G_PARAM_WRITABLE) ? "w" : "-";
    if (p->flags & G_PARAM_CONSTRUCT_ONLY) access += " construct-only";
    if (p->flags & GST_PARAM_MUTABLE_PLAYING) access += " changeable-in-playing";
    if (gstutil::is_secret_property(p)) access += " secret";
    std::printf("  %-24s %s  (%s)\n", p->name, describe_type(p).c_str(), access.c_str());
    const GValue* dflt = g_param_spec_get_default_value(p);
    std::string d = value_text(dflt);
    if (!d.empty() && (p->flags & G_PARAM_READABLE) && !gstutil::is_secret_property(p)) std::printf("  %-24s default: %s\n", "", d.c_str());
    if (const char* blurb = g_param_spec_get_blurb(p)) std::printf("  %-24s %s\n", "", blurb);
  }
  g_free(specs);
}

}  // namespace

int cmd_inspect(const Args& args) {
  if (wants_help(args)) {
    std::printf(
        "usage: mediaflow inspect ELEMENT\n\n"
        "Describes one element, ours (from PLUGIN_DIR) or stock GStreamer: its description and\n"
        "plugin, its pad templates (name, direction, presence, caps) and its properties with type,\n"
        "range or allowed values, access (\"secret\": write-only, its value is never shown) and\n"
        "default — what a pipeline file may set on a node of this element. Exit code 1 when the\n"
        "element is unknown.\n");
    return 0;
  }
  if (args.size() != 1) {
    std::fprintf(stderr, "mediaflow inspect: give exactly one ELEMENT (see --help)\n");
    return 2;
  }
  if (!init_media()) return 1;
  GstElementFactory* f = gst_element_factory_find(args[0].c_str());
  if (!f) {
    std::fprintf(stderr, "mediaflow inspect: no element '%s' ('mediaflow plugins' lists ours)\n", args[0].c_str());
    return 1;
  }
  GstElement* element = gst_element_factory_create(f, nullptr);
  if (!element) {
    std::fprintf(stderr, "mediaflow inspect: cannot create element '%s'\n", args[0].c_str());
    gst_object_unref(f);
    return 1;
  }
  gst_object_ref_sink(element);
  GstPlugin* plugin = gst_plugin_feature_get_plugin(GST_PLUGIN_FEATURE(f));
  std::printf("%s: %s\n", args[0].c_str(), gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_LONGNAME));
  std::printf("  %s\n", gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_DESCRIPTION));
  std::printf("  class: %s\n", gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS));
  if (plugin) {
    std::printf("  plugin: %s %s (%s)\n", gst_plugin_get_name(plugin), gst_plugin_get_version(plugin),
                gst_plugin_get_filename(plugin) ? gst_plugin_get_filename(plugin) : "built in");
    gst_object_unref(plugin);
  }
  print_pad_templates(f);
  print_properties(element);
  gst_object_unref(element);
  gst_object_unref(f);
  return 0;
}

}  // namespace mediaflow::cli
