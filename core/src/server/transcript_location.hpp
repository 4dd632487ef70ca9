// Where a call's transcript.jsonl goes: the folder of its recording. When the pipeline has a
// recorder, its own root/template/ids decide (so a custom path-template moves both); else the
// default layout under RECORDINGS_DIR.
#pragma once

#include <gst/gst.h>

#include <filesystem>
#include <string>

namespace mediaflow::server {

struct CallIds {
  std::string organization_id;
  std::string call_sid;
  std::string stream_sid;
  std::string recording_id;
};

// Empty path when no safe location can be derived (a broken template): events are dropped
// with a warning by the caller.
std::filesystem::path transcript_location(GstElement* pipeline, const std::filesystem::path& recordings_dir,
                                          const CallIds& ids);

}  // namespace mediaflow::server
