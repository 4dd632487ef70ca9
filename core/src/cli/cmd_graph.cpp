#include "cli/commands.hpp"
#include "cli/pipeline_args.hpp"

#include <mediaflow/pipeline/build.hpp>
#include <mediaflow/pipeline/graph.hpp>

#include <gio/gio.h>
#include <gst/gst.h>

#include <cstdio>
#include <string>

namespace mediaflow::cli {
namespace {

// Graphviz output formats chosen by the extension of -o; DOT itself needs no Graphviz.
constexpr const char* kRendered[] = {"svg", "png", "pdf"};
constexpr const char* kDot[] = {"dot", "gv"};

std::string extension(const std::string& path) {
  const size_t slash = path.rfind('/');
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = path.substr(dot + 1);
  for (char& c : ext) c = g_ascii_tolower(c);
  return ext;
}

bool one_of(const std::string& ext, const auto& list) {
  for (const char* e : list)
    if (ext == e) return true;
  return false;
}

bool write_file(const std::string& path, const char* data, size_t size) {
  GError* err = nullptr;
  if (g_file_set_contents(path.c_str(), data, static_cast<gssize>(size), &err)) return true;
  std::fprintf(stderr, "mediaflow graph: cannot write %s: %s\n", path.c_str(), err->message);
  g_error_free(err);
  return false;
}

// `dot -T<format>` fed the DOT text on stdin; its output goes to `out` only when it succeeds.
int render(const std::string& dot_program, const std::string& format, const std::string& dot, const std::string& out) {
  const std::string type = "-T" + format;
  const char* argv[] = {dot_program.c_str(), type.c_str(), nullptr};
  GError* err = nullptr;
  GSubprocess* proc = g_subprocess_newv(
      argv, static_cast<GSubprocessFlags>(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                          G_SUBPROCESS_FLAGS_STDERR_PIPE),
      &err);
  if (!proc) {
    std::fprintf(stderr, "mediaflow graph: cannot start %s: %s\n", dot_program.c_str(), err->message);
    g_error_free(err);
    return 1;
  }
  GBytes* input = g_bytes_new(dot.data(), dot.size());
  GBytes* output = nullptr;
  GBytes* errors = nullptr;
  int code = 1;
  if (!g_subprocess_communicate(proc, input, nullptr, &output, &errors, &err)) {
    std::fprintf(stderr, "mediaflow graph: %s %s: %s\n", dot_program.c_str(), type.c_str(), err->message);
    g_error_free(err);
  } else if (!g_subprocess_get_successful(proc)) {
    gsize n = 0;
    const char* text = errors ? static_cast<const char*>(g_bytes_get_data(errors, &n)) : nullptr;
    std::string why = text ? std::string(text, n) : "";
    while (!why.empty() && g_ascii_isspace(why.back())) why.pop_back();
    const int status = g_subprocess_get_if_exited(proc) ? g_subprocess_get_exit_status(proc) : -1;
    std::fprintf(stderr, "mediaflow graph: %s %s failed (%s %d)%s%s; %s not written\n", dot_program.c_str(),
                 type.c_str(), status >= 0 ? "exit code" : "signal",
                 status >= 0 ? status : g_subprocess_get_term_sig(proc), why.empty() ? "" : ": ", why.c_str(),
                 out.c_str());
  } else {
    gsize n = 0;
    const char* data = output ? static_cast<const char*>(g_bytes_get_data(output, &n)) : "";
    code = write_file(out, data, n) ? 0 : 1;
  }
  if (output) g_bytes_unref(output);
  if (errors) g_bytes_unref(errors);
  g_bytes_unref(input);
  g_object_unref(proc);
  return code;
}

}  // namespace

int cmd_graph(const Args& args) {
  if (wants_help(args)) {
    std::printf(
        "usage: mediaflow graph FILE [--set KEY=VALUE]… [-o OUT]\n\n"
        "Draws the pipeline of FILE: validates and builds it as the host and 'mediaflow run' do\n"
        "(variables from --set, as for launch-line), without playing it, and writes GStreamer's\n"
        "own graph of it (gst_debug_bin_to_dot_data): a box per element, named after its node,\n"
        "with its pads and every property set away from its default; an arrow per link with\n"
        "its media type; a link with caps passes through a capsfilter '<from>_<to>_caps'.\n\n"
        "OUT's extension picks the format: .dot or .gv writes the Graphviz DOT text; .svg, .png\n"
        "or .pdf renders it with Graphviz 'dot' when that is on PATH, and otherwise writes the\n"
        "DOT text beside it (OUT with the extension .dot) and says so on stderr. Without -o, or\n"
        "with -o -, the DOT text goes to stdout.\n\n"
        "Secrets are never drawn: a readable one (such as souphttpsrc's user-pw) shows as\n"
        "<redacted>, and so do URL credentials (user:password@, ?token=…); write-only ones (such\n"
        "as api-key) cannot be read at all. Exit code 1 if FILE has an error (printed as by\n"
        "validate), the pipeline cannot be built or dot fails; 2 for bad usage.\n");
    return 0;
  }
  // -o OUT / --output OUT / --output=OUT; the rest is FILE and --set, as for run.
  std::string out = "-";
  bool have_out = false;
  Args rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string value;
    if (a == "-o" || a == "--output") {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "mediaflow graph: %s needs a file name (or - for stdout)\n", a.c_str());
        return 2;
      }
      value = args[++i];
    } else if (a.rfind("--output=", 0) == 0) {
      value = a.substr(9);
    } else {
      rest.push_back(a);
      continue;
    }
    if (have_out || value.empty()) {
      std::fprintf(stderr, "mediaflow graph: %s\n", have_out ? "one -o only" : "-o needs a file name (or - for stdout)");
      return 2;
    }
    out = value;
    have_out = true;
  }
  const std::string ext = out == "-" ? "dot" : extension(out);
  if (!one_of(ext, kDot) && !one_of(ext, kRendered)) {
    std::fprintf(stderr,
                 "mediaflow graph: cannot tell the format of '%s' from its extension: use .dot, .gv, .svg, .png "
                 "or .pdf\n",
                 out.c_str());
    return 2;
  }
  PipelineArgs pa;
  if (!parse_pipeline_args(rest, "graph", &pa)) return 2;
  if (!init_media()) return 1;
  GstElement* pipeline = build_or_report(pa);
  if (!pipeline) return 1;
  std::string error;
  const std::string dot = pipeline::pipeline_dot(pipeline, &error);
  gst_object_unref(pipeline);
  if (dot.empty()) {
    std::fprintf(stderr, "mediaflow graph: %s\n", error.c_str());
    return 1;
  }

  if (out == "-") {
    std::fwrite(dot.data(), 1, dot.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  if (one_of(ext, kDot)) return write_file(out, dot.data(), dot.size()) ? 0 : 1;
  gchar* found = g_find_program_in_path("dot");
  if (!found) {
    const std::string fallback = out.substr(0, out.size() - ext.size()) + "dot";
    if (!write_file(fallback, dot.data(), dot.size())) return 1;
    std::fprintf(stderr,
                 "mediaflow graph: Graphviz 'dot' is not on PATH, so %s was not drawn: wrote the DOT text to %s "
                 "instead (install graphviz, or render it elsewhere: dot -T%s %s -o %s)\n",
                 out.c_str(), fallback.c_str(), ext.c_str(), fallback.c_str(), out.c_str());
    return 0;
  }
  const std::string dot_program = found;
  g_free(found);
  return render(dot_program, ext, dot, out);
}

}  // namespace mediaflow::cli
