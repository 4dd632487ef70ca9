// Finalises recordings a crash left behind (`mediaflow recover DIR`): every `*.wav.part`
// below a root gets its header sizes set from the file length (cut to whole frames), is
// renamed to `.wav`, and gets its manifest with "recovered": true, using the sidecar
// `{recording_id}.json.part` the recorder wrote when the recording started. Also finishes a
// recording whose WAV was renamed but whose manifest was not yet written.
// Run it only while no process is recording under the root.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mediaflow {

struct RecoveredRecording {
  std::string recording_id;
  std::string call_sid;         // full SID: print it redacted
  std::string organization_id;
  std::filesystem::path manifest;
  std::vector<std::filesystem::path> wavs;
  double duration_seconds = 0;
  bool had_sidecar = false;  // false: owner unknown, manifest has only what the file tells
};

struct RecoveryFailure {
  std::filesystem::path file;
  std::string reason;
};

struct RecoveryReport {
  std::vector<RecoveredRecording> recovered;
  std::vector<RecoveryFailure> failures;
};

RecoveryReport recover_recordings(const std::filesystem::path& root);

}  // namespace mediaflow
