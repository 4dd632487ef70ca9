// The durable spool on disk (SPOOL_DIR, default RECORDINGS_DIR/.spool):
//   events/{seq}.json    one pending webhook event each
//   uploads/{seq}.json   one pending call upload each
//   dead/events/, dead/uploads/   permanent failures, kept for an operator (with "error")
// Every write is temp file + fsync + rename + folder fsync, so a SIGKILL leaves the old job
// or the new one, never half of one. Leftover temp files are removed on open.
#pragma once

#include <mediaflow/evidence/spool_job.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mediaflow::evidence {

// A whole (small) file; nullopt when it cannot be read.
std::optional<std::string> read_small_file(const std::filesystem::path& path);

enum class JobKind { kEvent, kUpload };

class Spool {
 public:
  explicit Spool(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Creates the folders and removes temp files; false with *error when it cannot.
  bool open(std::string* error);
  const std::filesystem::path& dir() const { return dir_; }

  bool save(const EventJob& job, std::string* error);
  bool save(const UploadJob& job, std::string* error);
  void remove(JobKind kind, std::uint64_t seq);
  // Moves the job to dead/ with the reason recorded; the live file is removed either way.
  void bury(const EventJob& job, const std::string& reason);
  void bury(const UploadJob& job, const std::string& reason);

  struct Loaded {
    std::vector<EventJob> events;    // in seq order
    std::vector<UploadJob> uploads;  // in seq order
    std::vector<std::string> unreadable;  // files moved to dead/ because they do not decode
    std::uint64_t max_seq = 0;       // highest seq seen, live or dead
  };
  Loaded load();
  std::size_t dead_count();

 private:
  std::filesystem::path file(JobKind kind, std::uint64_t seq, bool dead = false) const;
  std::filesystem::path dir_;
};

}  // namespace mediaflow::evidence
