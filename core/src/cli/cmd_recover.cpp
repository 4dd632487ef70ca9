#include "cli/commands.hpp"

#include <mediaflow/protocol/redact.hpp>
#include <mediaflow/recording_recovery.hpp>

#include <cstdio>

namespace mediaflow::cli {

int cmd_recover(const Args& args) {
  if (wants_help(args) || args.size() != 1) {
    std::fprintf(args.size() == 1 ? stdout : stderr,
                 "usage: mediaflow recover DIR\n\n"
                 "Finalises recordings left behind by a crash below DIR (usually RECORDINGS_DIR):\n"
                 "each *.wav.part gets a correct header (cut to whole frames), is renamed to .wav and\n"
                 "gets its manifest with \"recovered\": true. Run it while nothing records into DIR.\n"
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
  return report.failures.empty() ? 0 : 1;
}

}  // namespace mediaflow::cli
