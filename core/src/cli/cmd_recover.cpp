#include "cli/commands.hpp"

#include <mediaflow/env.hpp>
#include <mediaflow/evidence/evidence_service.hpp>
#include <mediaflow/log.hpp>
#include <mediaflow/protocol/redact.hpp>
#include <mediaflow/recording_recovery.hpp>

#include <cstdio>
#include <stdexcept>

namespace mediaflow::cli {
namespace {

// With RECORDINGS_BUCKET / EVENTS_WEBHOOK_URL set: finishes what the spool holds (and uploads
// the recordings just recovered), for at most DRAIN_TIMEOUT_SECONDS. False when jobs remain.
bool resume_spool(const std::filesystem::path& dir, const RecoveryReport& report) {
  evidence::EvidenceConfig cfg;
  unsigned long timeout = 30;
  try {
    cfg = evidence::EvidenceConfig::from_env(dir);
    timeout = env::number("DRAIN_TIMEOUT_SECONDS", timeout, 86400);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mediaflow recover: %s\n", e.what());
    return false;
  }
  if (!cfg.enabled()) return true;
  log::init_from_env();
  evidence::EvidenceService service(cfg, dir);
  std::string error;
  if (!service.start(&error)) {
    std::fprintf(stderr, "mediaflow recover: spool: %s\n", error.c_str());
    return false;
  }
  for (const auto& r : report.recovered) service.upload_recovered(r.manifest);
  const bool done = service.wait_idle(static_cast<double>(timeout));
  const auto s = service.stats();
  service.stop();
  std::printf("spool %s: %zu event(s) and %zu upload(s) pending, %zu in dead/\n", done ? "delivered" : "not done",
              s.events, s.uploads, s.dead);
  return done;
}

}  // namespace

int cmd_recover(const Args& args) {
  if (wants_help(args) || args.size() != 1) {
    std::fprintf(args.size() == 1 ? stdout : stderr,
                 "usage: mediaflow recover DIR\n\n"
                 "Finalises recordings left behind by a crash below DIR (usually RECORDINGS_DIR):\n"
                 "each *.wav.part gets a correct header (cut to whole frames), is renamed to .wav and\n"
                 "gets its manifest with \"recovered\": true. Run it while nothing records into DIR.\n"
                 "With RECORDINGS_BUCKET or EVENTS_WEBHOOK_URL set it also uploads them and finishes\n"
                 "the evidence spool (SPOOL_DIR, default DIR/.spool) within DRAIN_TIMEOUT_SECONDS.\n"
                 "Exit 0 when everything found was recovered (or nothing was found), 1 otherwise.\n");
    return wants_help(args) ? 0 : 2;
  }
  const auto report = recover_recordings(args[0]);
  for (const auto& r : report.recovered) {
    // Full call SIDs stay out of terminal logs; the manifest has them.
    std::printf("recovered %s: %.2f s, call %s, %zu file(s)%s\n", r.recording_id.c_str(), r.duration_seconds,
                protocol::redact_sid(r.call_sid).c_str(), r.wavs.size(),
                r.had_sidecar ? "" : " (no sidecar: owner unknown)");
  }
  for (const auto& f : report.failures) {
    const std::string name = f.file.filename().string();
    if (f.reason.starts_with(name))  // the reason already names the file
      std::fprintf(stderr, "mediaflow recover: %s\n", f.reason.c_str());
    else
      std::fprintf(stderr, "mediaflow recover: %s: %s\n", name.c_str(), f.reason.c_str());
  }
  if (report.recovered.empty() && report.failures.empty()) std::printf("nothing to recover in %s\n", args[0].c_str());
  const bool spool_ok = resume_spool(args[0], report);
  return report.failures.empty() && spool_ok ? 0 : 1;
}

}  // namespace mediaflow::cli
