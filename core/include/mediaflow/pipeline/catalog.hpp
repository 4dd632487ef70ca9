// The host's set of pipelines: every *.json in a folder plus the built-in "default"
// (pipelines/default.json compiled in; a default.json in the folder replaces it).
#pragma once

#include <mediaflow/pipeline/validate.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mediaflow::pipeline {

// The text of pipelines/default.json at build time.
extern const char* const kEmbeddedDefaultPipeline;

struct ReloadReport {
  Diagnostics errors;                // refused files, each error with file:line:col
  std::vector<std::string> loaded;   // names added or replaced
  std::vector<std::string> kept;     // names whose new file was refused: old version stays
  std::vector<std::string> removed;  // names whose file disappeared
};

class PipelineCatalog {
 public:
  explicit PipelineCatalog(std::filesystem::path dir);

  // Re-reads the folder (call after gst_init and plugin loading). A file that fails
  // validation is refused and its previous version stays in service; a good file replaces
  // it; a new file is added. The name is the file stem; a "name" field that differs is an
  // error. Thread-safe; specs already handed out stay valid.
  ReloadReport reload();

  // Thread-safe; null when unknown.
  std::shared_ptr<const PipelineSpec> find(const std::string& name) const;
  std::vector<std::string> names() const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const PipelineSpec>> specs_;
};

}  // namespace mediaflow::pipeline
