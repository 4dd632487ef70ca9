// The evidence manifest written beside each recording (`{recording_id}.json`), and the
// sidecar written when a recording starts (`{recording_id}.json.part`: the same document
// without results) so that `mediaflow recover` knows whose recording a crashed file is.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

typedef struct _JsonNode JsonNode;

namespace mediaflow::protocol {

// One WAV file of a recording (one for the stereo layout, one per track for per-track).
struct RecordingFile {
  std::string file;    // file name, relative to the manifest's folder
  std::string track;   // "caller+agent" (stereo) or "caller" / "agent"
  std::uint64_t bytes = 0;
  std::string sha256;  // lowercase hex of the whole file
};

// Which audio formats the call's agent ran (manifest `agent_audio`): the agent element's
// sticky `mediaflow-agent-audio` event (gstutil/agent_audio_event.hpp) as it reached the
// recorder's agent track. Format names are the vendor's (`ulaw_8000`, `pcm_16000`, …).
struct AgentAudio {
  std::string vendor;
  std::string user_input_format;    // what the agent takes
  std::string agent_output_format;  // what the agent speaks
  std::string sink_format;          // the caller audio the pipeline gives the agent element
  std::string src_format;           // the agent audio the element puts on the line
  bool input_converted = false;     // sink_format != user_input_format: converted in the element
  bool output_converted = false;    // agent_output_format != src_format
};

struct RecordingManifest {
  std::string call_sid;
  std::string stream_sid;
  std::string recording_id;
  std::string organization_id;
  std::string started_at;  // ISO 8601 UTC, e.g. 2024-05-01T12:00:00.123Z
  std::string pipeline;
  std::string layout = "stereo";  // "stereo" | "per-track"
  std::uint32_t sample_rate = 16000;
  std::uint16_t channels = 2;     // channels per file
  std::vector<std::string> tracks{"caller", "agent"};  // channel order (stereo) / file order

  // Results, present once the recording is finished (complete == true).
  bool complete = false;
  double duration_seconds = 0;
  std::uint64_t bytes = 0;   // all files together
  std::string sha256;        // of the WAV (stereo); of the first file for per-track
  std::vector<RecordingFile> files;
  std::uint64_t dropped_buffers = 0;  // buffers lost to a full writer queue (0 normally)
  bool recovered = false;             // finalised by `mediaflow recover` after a crash
  bool truncated = false;             // writing stopped early (disk full, I/O error)
  std::optional<AgentAudio> agent_audio;  // the agent announced its formats (complete manifests)
};

// Pretty-printed JSON. Without `complete`, the result fields are left out (sidecar form).
std::string manifest_to_json(const RecordingManifest& m);
// A manifest document as it is written: pretty-printed, newline at the end (also used by
// evidence when it adds the uploaded objects).
std::string manifest_text(JsonNode* root);

// Reads a manifest or sidecar; nullopt with *error on malformed JSON or a missing
// recording_id. Unknown fields are ignored, missing optional ones keep their defaults.
std::optional<RecordingManifest> manifest_from_json(std::string_view json, std::string* error = nullptr);

// 2024-05-01T12:00:00.123Z
std::string format_iso8601_utc(std::chrono::system_clock::time_point t);

}  // namespace mediaflow::protocol
