// Evidence leaves the box: the host's hand-off point for call events (Standard Webhooks) and
// recording uploads (S3), backed by the durable spool. See docs/evidence.md.
//
// Threads: the media loops only push onto a queue and wake a thread (no disk, no network, no
// waiting). Three fixed threads do the rest:
//   - intake: turns hand-offs into spool jobs (write + fsync) and routes them;
//   - events: delivers webhook events, in spool order per call, retrying with backoff;
//   - uploads: stores a call's objects (single PUT or resumable multipart, manifest last),
//     then removes the local files and announces recording.stored.
// HTTP is libcurl's blocking easy interface on those threads, with bounded timeouts.
#pragma once

#include <mediaflow/evidence/evidence_config.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

typedef struct _GstStructure GstStructure;

namespace mediaflow::evidence {

struct CallInfo {
  std::string call_sid;
  std::string stream_sid;
  std::string account_sid;
  std::string organization_id;
  std::string pipeline;
  std::string transcript_path;  // the call's transcript.jsonl ("" = none)
};

struct SpoolStats {
  std::size_t events = 0;   // pending webhook events
  std::size_t uploads = 0;  // pending call uploads
  std::size_t dead = 0;     // jobs in the dead-letter folder
  double oldest_event_seconds = 0;
  double oldest_upload_seconds = 0;
};

class EvidenceService {
 public:
  // `after_transcripts_written(fn)` runs fn once every transcript line and close queued so
  // far is on disk (the host's event file writer); uploads of a call wait for it.
  EvidenceService(EvidenceConfig config, std::filesystem::path recordings_root,
                  std::function<void(std::function<void()>)> after_transcripts_written = {});
  ~EvidenceService();  // stops the threads (pending jobs stay in the spool)

  // Opens the spool, resumes what a previous process left, starts the threads. A no-op when
  // nothing is configured. False with *error when the spool folder is unusable.
  bool start(std::string* error);
  void stop();
  bool enabled() const;

  // Media-loop hand-offs: O(1), never block. 0 = the call is not tracked (off).
  std::uint64_t call_started(CallInfo info);
  void recording_complete(std::uint64_t call, const GstStructure* message);
  // Forwards a final transcript segment (mediaflow-transcript, is-final) when
  // EVENTS_INCLUDE_TRANSCRIPTS=1; everything else is ignored.
  void call_event(std::uint64_t call, const GstStructure* message);
  void call_ended(std::uint64_t call, const std::string& outcome, unsigned close_code);

  // A recording finalised by crash recovery (no call is running for it): uploaded like one
  // that just finished. Called before the host takes calls.
  void upload_recovered(const std::filesystem::path& manifest);

  SpoolStats stats() const;
  // Nothing pending or in flight (the drain waits for this).
  bool idle() const;
  // Blocks until idle() or the timeout; true when idle (tests, `mediaflow recover`).
  bool wait_idle(double timeout_seconds);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mediaflow::evidence
