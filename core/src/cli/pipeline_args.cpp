#include "cli/pipeline_args.hpp"

#include <mediaflow/pipeline/build.hpp>

#include <mediaflow/pipeline/validate.hpp>

#include <cstdio>

namespace mediaflow::cli {

bool parse_pipeline_args(const Args& args, const char* command, PipelineArgs* out) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    std::string kv;
    if (a == "--set") {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "mediaflow %s: --set needs KEY=VALUE\n", command);
        return false;
      }
      kv = args[++i];
    } else if (a.rfind("--set=", 0) == 0) {
      kv = a.substr(6);
    } else if (a.size() > 1 && a[0] == '-') {
      std::fprintf(stderr, "mediaflow %s: unknown option '%s'\n", command, a.c_str());
      return false;
    } else if (out->file.empty()) {
      out->file = a;
      continue;
    } else {
      std::fprintf(stderr, "mediaflow %s: one pipeline file only ('%s')\n", command, a.c_str());
      return false;
    }
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "mediaflow %s: --set needs KEY=VALUE, got '%s'\n", command, kv.c_str());
      return false;
    }
    std::string key = kv.substr(0, eq);
    if (key.find('.') == std::string::npos) key = "param." + key;
    std::string why = pipeline::check_variable_name(key);
    if (!why.empty()) {
      std::fprintf(stderr, "mediaflow %s: --set %s: %s\n", command, kv.c_str(), why.c_str());
      return false;
    }
    out->vars[key] = kv.substr(eq + 1);
  }
  if (out->file.empty()) {
    std::fprintf(stderr, "mediaflow %s: missing FILE (see --help)\n", command);
    return false;
  }
  return true;
}

std::shared_ptr<const pipeline::PipelineSpec> load_or_report(const std::string& file) {
  auto loaded = pipeline::load_pipeline_file(file);
  std::fputs(pipeline::to_string(loaded.errors).c_str(), stderr);
  return loaded.spec;
}

GstElement* build_or_report(const PipelineArgs& args) {
  auto spec = load_or_report(args.file);
  if (!spec) return nullptr;
  auto built = pipeline::build_pipeline(*spec, args.vars);
  if (!built.pipeline) std::fprintf(stderr, "%s\n", built.error.c_str());
  return built.pipeline;
}

}  // namespace mediaflow::cli
