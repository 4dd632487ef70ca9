#include <mediaflow/pipeline/catalog.hpp>

#include <algorithm>
#include <set>
#include <system_error>

namespace mediaflow::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultName = "default";
constexpr const char* kEmbeddedFile = "<built-in>/default.json";

// Parse + validate, plus the rule that the "name" field matches the file stem.
LoadResult load_named(LoadResult loaded, const std::string& stem) {
  if (loaded.spec && loaded.spec->name != stem) {
    loaded.errors.push_back(loaded.spec->diag(loaded.spec->name_pos, "pipeline name '" + loaded.spec->name +
                                                                         "' does not match the file name '" + stem +
                                                                         ".json'"));
    loaded.spec.reset();
  }
  return loaded;
}

}  // namespace

PipelineCatalog::PipelineCatalog(fs::path dir) : dir_(std::move(dir)) {}

ReloadReport PipelineCatalog::reload() {
  ReloadReport report;
  std::map<std::string, LoadResult> fresh;

  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".json" && it->is_regular_file()) files.push_back(it->path());
  }
  if (ec) report.errors.push_back({dir_.string(), {1, 1}, "cannot read the pipelines folder: " + ec.message()});
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::string stem = f.stem().string();
    if (stem == "schema") continue;  // the JSON Schema that lives beside the pipelines
    fresh.emplace(stem, load_named(load_pipeline_file(f), stem));
  }
  if (!fresh.count(kDefaultName))
    fresh.emplace(kDefaultName, load_named(load_pipeline(kEmbeddedDefaultPipeline, kEmbeddedFile), kDefaultName));

  std::lock_guard lock(mutex_);
  for (auto& [name, loaded] : fresh) {
    if (loaded.spec) {
      specs_[name] = std::move(loaded.spec);
      report.loaded.push_back(name);
    } else {
      report.errors.insert(report.errors.end(), loaded.errors.begin(), loaded.errors.end());
      if (specs_.count(name)) report.kept.push_back(name);
    }
  }
  for (auto it = specs_.begin(); it != specs_.end();) {
    if (!fresh.count(it->first)) {
      report.removed.push_back(it->first);
      it = specs_.erase(it);
    } else {
      ++it;
    }
  }
  return report;
}

std::shared_ptr<const PipelineSpec> PipelineCatalog::find(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = specs_.find(name);
  return it == specs_.end() ? nullptr : it->second;
}

std::vector<std::string> PipelineCatalog::names() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, spec] : specs_) out.push_back(name);
  return out;
}

}  // namespace mediaflow::pipeline
