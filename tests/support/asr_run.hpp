// Drives an ASR element (any vendor) with known audio and collects what it posts, for the
// ASR conformance suite and per-plugin tests.
#pragma once

#include <mediaflow/gstutil/transcript_stream.hpp>

#include <gst/gst.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mediaflow::test {

struct StructureDeleter {
  void operator()(GstStructure* s) const { gst_structure_free(s); }
};
using StructurePtr = std::unique_ptr<GstStructure, StructureDeleter>;

struct AsrRun {
  std::vector<StructurePtr> messages;  // element messages named mediaflow-*, in bus order
  std::vector<std::string> warnings;   // GST_ELEMENT_WARNING texts
  std::vector<std::string> errors;
  bool eos = false;  // EOS reached the bus (everything above came before it)
  // With AsrInput::link_transcript: what arrived on the `transcript` pad, in order.
  struct TranscriptBuffer {
    GstClockTime pts = GST_CLOCK_TIME_NONE;
    std::optional<gstutil::TranscriptResult> result;
    std::string caps;  // the stream's caps when the buffer came
  };
  std::vector<TranscriptBuffer> transcript_buffers;
  bool transcript_eos = false;  // EOS came down the transcript pad
  double seconds_to_eos = 0;

  std::vector<const GstStructure*> named(const char* name) const;
  // The `mediaflow-transcript` messages with is-final true, in order.
  std::vector<const GstStructure*> finals() const;
};

// A double field of a posted structure; NaN when absent.
double field(const GstStructure* s, const char* name);

enum class PushMode {
  kAppsrc,      // appsrc streaming thread, as under gst-launch-1.0 / `mediaflow run`
  kInlineLoop,  // the host's way: a loop thread with its own thread-default GMainContext
                // builds the pipeline and pushes every buffer inline, as twiliosrc live does
};

struct AsrInput {
  std::string caps = "audio/x-raw,format=S16LE,rate=16000,channels=1,layout=interleaved";
  std::vector<std::uint8_t> audio;
  std::size_t bytes_per_second = 32000;
  std::size_t chunk_bytes = 640;  // 20 ms of 16 kHz S16LE
  std::uint64_t first_pts_ns = 0;  // PTS (= running time) of the first byte
  int pause_before_eos_ms = 0;    // a quiet gap (no audio) before EOS
  int timeout_ms = 10000;         // only to avoid hangs
  bool link_transcript = false;   // link the element's `transcript` pad to a sink and collect it
};

// Runs `element` (the caller's ref is taken) to EOS on `input`.
AsrRun run_asr(GstElement* element, const AsrInput& input, PushMode mode = PushMode::kAppsrc);

// 16 kHz S16LE mono: a tone with a slow amplitude envelope, deterministic content.
std::vector<std::uint8_t> test_speech_s16(double seconds);

}  // namespace mediaflow::test
