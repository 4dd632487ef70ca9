#include <mediaflow/evidence/spool.hpp>

#include <mediaflow/log.hpp>
#include <mediaflow/protocol/recording_io.hpp>

#include <glib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace mediaflow::evidence {
namespace {

namespace fs = std::filesystem;

const char* folder(JobKind kind) { return kind == JobKind::kEvent ? "events" : "uploads"; }

// "{seq}.json" → seq; 0 for anything else (temp files, strays).
std::uint64_t seq_of(const fs::path& p) {
  if (p.extension() != ".json") return 0;
  const std::string stem = p.stem().string();
  if (stem.empty() || stem.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::strtoull(stem.c_str(), nullptr, 10);
}

// The job text with the reason for burying it, so an operator reading dead/ knows why.
std::string with_error(const std::string& job_json, const std::string& reason) {
  std::string out = job_json;
  if (!out.empty() && out.back() == '}') {
    out.pop_back();
    gchar* escaped = g_strescape(reason.c_str(), nullptr);
    out += std::string(",\"error\":\"") + escaped + "\"}";
    g_free(escaped);
  }
  return out;
}

}  // namespace

std::optional<std::string> read_small_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return s.str();
}

fs::path Spool::file(JobKind kind, std::uint64_t seq, bool dead) const {
  char name[32];
  std::snprintf(name, sizeof name, "%016llu.json", static_cast<unsigned long long>(seq));
  return (dead ? dir_ / "dead" / folder(kind) : dir_ / folder(kind)) / name;
}

bool Spool::open(std::string* error) {
  for (const char* sub : {"events", "uploads", "dead/events", "dead/uploads"}) {
    std::error_code ec;
    fs::create_directories(dir_ / sub, ec);
    if (ec) {
      if (error) *error = "cannot create " + (dir_ / sub).string() + ": " + ec.message();
      return false;
    }
    // A temp file is a write a crash interrupted; the job it replaced is still there.
    for (const auto& e : fs::directory_iterator(dir_ / sub, ec))
      if (e.path().extension() == ".tmp") fs::remove(e.path(), ec);
  }
  return true;
}

bool Spool::save(const EventJob& job, std::string* error) {
  return protocol::write_file_atomically(file(JobKind::kEvent, job.seq), encode_job(job), error);
}

bool Spool::save(const UploadJob& job, std::string* error) {
  return protocol::write_file_atomically(file(JobKind::kUpload, job.seq), encode_job(job), error);
}

void Spool::remove(JobKind kind, std::uint64_t seq) {
  std::error_code ec;
  fs::remove(file(kind, seq), ec);
}

void Spool::bury(const EventJob& job, const std::string& reason) {
  std::string error;
  if (!protocol::write_file_atomically(file(JobKind::kEvent, job.seq, true), with_error(encode_job(job), reason), &error))
    log::error("spool_write_failed", {{"folder", "dead/events"}, {"error", error}});
  remove(JobKind::kEvent, job.seq);
}

void Spool::bury(const UploadJob& job, const std::string& reason) {
  std::string error;
  if (!protocol::write_file_atomically(file(JobKind::kUpload, job.seq, true), with_error(encode_job(job), reason), &error))
    log::error("spool_write_failed", {{"folder", "dead/uploads"}, {"error", error}});
  remove(JobKind::kUpload, job.seq);
}

Spool::Loaded Spool::load() {
  Loaded out;
  std::error_code ec;
  for (JobKind kind : {JobKind::kEvent, JobKind::kUpload}) {
    for (const auto& e : fs::directory_iterator(dir_ / "dead" / folder(kind), ec))
      out.max_seq = std::max(out.max_seq, seq_of(e.path()));
    for (const auto& e : fs::directory_iterator(dir_ / folder(kind), ec)) {
      const std::uint64_t seq = seq_of(e.path());
      if (!seq) continue;
      out.max_seq = std::max(out.max_seq, seq);
      const std::string text = read_small_file(e.path()).value_or("");
      std::string why;
      bool ok = false;
      if (kind == JobKind::kEvent) {
        if (auto j = decode_event_job(text, &why); j && j->seq == seq) {
          out.events.push_back(std::move(*j));
          ok = true;
        }
      } else if (auto j = decode_upload_job(text, &why); j && j->seq == seq) {
        out.uploads.push_back(std::move(*j));
        ok = true;
      }
      if (!ok) {  // keep it for a human, out of the way of the workers
        std::error_code rec;
        fs::rename(e.path(), file(kind, seq, true), rec);
        out.unreadable.push_back(e.path().filename().string() + ": " + (why.empty() ? "seq mismatch" : why));
      }
    }
  }
  std::sort(out.events.begin(), out.events.end(), [](auto& a, auto& b) { return a.seq < b.seq; });
  std::sort(out.uploads.begin(), out.uploads.end(), [](auto& a, auto& b) { return a.seq < b.seq; });
  return out;
}

std::size_t Spool::dead_count() {
  std::size_t n = 0;
  std::error_code ec;
  for (JobKind kind : {JobKind::kEvent, JobKind::kUpload})
    for (const auto& e : fs::directory_iterator(dir_ / "dead" / folder(kind), ec))
      if (seq_of(e.path())) ++n;
  return n;
}

}  // namespace mediaflow::evidence
