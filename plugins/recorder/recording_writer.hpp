// The recorder's disk side: an actor on the process-wide WriterPool that owns the files.
// Streaming threads only hand it samples through a bounded queue (push never waits for the
// disk); a pool thread, one at a time per recording, places every block at the sample
// position its timestamp gives, pads with silence, and writes interleaved frames once both
// tracks are known up to there. No GStreamer in here.
#pragma once

#include <mediaflow/protocol/recording_manifest.hpp>

#include "writer_pool.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mediaflow::recorder {

enum class Track : int { kCaller = 0, kAgent = 1 };
enum class Layout { kStereo, kPerTrack };

// At most this many blocks wait for the writer (≈ 10 s of 20 ms frames on both tracks,
// ~320 KB at 16 kHz). Beyond it push() drops the block: the recording gets a hole of
// silence where it was, the call is never slowed down.
inline constexpr std::size_t kDefaultQueueLimit = 1000;

struct RecordingConfig {
  std::filesystem::path root;
  std::string path_template;
  std::string organization_id, call_sid, stream_sid, recording_id, pipeline;
  std::uint32_t rate = 16000;
  Layout layout = Layout::kStereo;
  std::size_t queue_limit = kDefaultQueueLimit;
  // Frames of the track that is ahead wait this long (wall clock) for the other track before
  // they are written with silence on the other side; late data for positions already on
  // disk is dropped. For live audio this is the same as 500 ms of media time.
  std::uint32_t late_window_ms = 500;
  // Upper bound of audio held in memory per recording (both tracks): beyond it the oldest
  // frames are written regardless (a track more than this behind loses that part).
  std::uint32_t max_staging_ms = 10000;
  // A block starting within this distance of where its track ended continues it seamlessly
  // (timestamp jitter), instead of leaving a gap or overwriting.
  std::uint32_t align_tolerance_ms = 5;
};

struct RecordingResult {
  protocol::RecordingManifest manifest;
  std::filesystem::path manifest_path;
  std::vector<std::filesystem::path> wav_paths;
};

struct RecordingCallbacks {
  // All run on a writer pool thread.
  std::function<void(const RecordingResult&)> complete;
  // reason: bad-path | exists | open-failed | write-failed; `kept` is the playable partial
  // file, if any.
  std::function<void(const std::string& reason, const std::string& detail,
                     const std::filesystem::path& kept)> failed;
  // After the last file operation, whether the recording worked or not; `both_ended` tells
  // it came from end_track on both tracks rather than finish().
  std::function<void(bool both_ended)> finished;
};

class RecordingWriter {
 public:
  RecordingWriter(RecordingConfig config, RecordingCallbacks callbacks);
  ~RecordingWriter();  // finish()
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  // Streaming threads. `position` in frames from the start of the call, or -1 to continue
  // where the track ended. False when the queue was full and the block was dropped.
  bool push(Track track, std::int64_t position, std::vector<std::int16_t>&& samples);
  // The track will send nothing more (EOS). Both ended → the recording is finalised.
  void end_track(Track track);
  // Finalise now with what has arrived and wait until the writer is done (state change).
  void finish();

  std::uint64_t dropped_blocks() const;
  // Any thread: what the call's agent ran, for the manifest (the latest wins).
  void set_agent_audio(const protocol::AgentAudio& agent_audio);

 private:
  struct Item {
    enum class Kind { kData, kEnd, kFinish } kind;
    Track track;
    std::int64_t position;
    std::vector<std::int16_t> samples;
  };
  WriterPool::Outcome service();
  void open_files();
  void apply(Item& item);
  void commit_to(std::uint64_t target);
  void commit_ready(bool everything);
  void patch_headers();
  bool has_staged() const;
  void finalize(bool both_ended);
  bool finish_files(RecordingResult* result, std::string* why);
  void fail_io(const std::string& reason, int err);
  void close_fds();

  const RecordingConfig config_;
  const RecordingCallbacks callbacks_;

  // Shared with streaming threads.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  std::size_t queued_data_ = 0;
  std::uint64_t dropped_ = 0;
  std::optional<protocol::AgentAudio> agent_audio_;
  bool closed_ = false;  // no more items accepted
  bool done_ = false;    // the pool has run the last service: nothing touches the files
  std::condition_variable done_cv_;
  WriterPool::Id pool_id_ = 0;

  // The pool thread currently servicing this writer only.
  bool opened_ = false;
  std::deque<Item> batch_;
  bool failed_ = false;
  int fds_[2] = {-1, -1};
  std::vector<std::filesystem::path> wavs_;  // final names (.wav), 1 or 2
  std::filesystem::path manifest_path_;
  protocol::RecordingManifest manifest_;
  std::uint64_t written_ = 0;              // frames on disk
  std::uint64_t frames_since_patch_ = 0;
  // Per track, frames from written_ on. A std::deque, whose blocks are freed as frames are
  // written: a caller ahead of a silent agent keeps ~0.7 s here (late window + flush delay),
  // and a vector erased from the front kept the capacity of its largest moment (~22 KB per
  // 8 kHz call instead of ~11; docs/benchmarks.md, session 7).
  std::deque<std::int16_t> staging_[2];
  std::uint64_t end_[2] = {0, 0};          // per track, frame after its last known sample
  bool has_data_[2] = {false, false};
  bool ended_[2] = {false, false};
  std::uint64_t late_frames_ = 0;
  // (when, furthest end then): how far the leading track had got at each arrival.
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::uint64_t>> history_;
  std::uint64_t aged_end_ = 0;  // furthest end reached at least late_window_ms ago
};

}  // namespace mediaflow::recorder
