// The evidence service's internals, shared by its files: the hand-off queue and the three
// threads (evidence_intake.cpp, evidence_delivery.cpp, evidence_uploads.cpp), the spool
// writes and gauges (evidence_service.cpp). Private to core/src/evidence.
#pragma once

#include <mediaflow/evidence/evidence_service.hpp>
#include <mediaflow/evidence/http_request.hpp>
#include <mediaflow/evidence/retry_policy.hpp>
#include <mediaflow/evidence/s3_client.hpp>
#include <mediaflow/evidence/spool.hpp>
#include <mediaflow/evidence/upload_runner.hpp>

#include <glib.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace mediaflow::evidence {

namespace fs = std::filesystem;

inline double now_seconds() { return static_cast<double>(g_get_monotonic_time()) / G_USEC_PER_SEC; }

struct Handoff {
  enum Kind { kStarted, kRecording, kTranscript, kEnded, kAdopt } kind;
  std::uint64_t call = 0;
  std::int64_t unix_us = 0;
  CallInfo info;            // kStarted
  std::string text;         // kRecording/kAdopt: manifest path; kTranscript: segment JSON; kEnded: outcome
  unsigned close_code = 0;  // kEnded
};

struct CallState {
  CallInfo info;
  std::string key;
  std::int64_t started_us = 0;
  std::uint64_t upload_seq = 0;  // its open upload job, 0 = none yet
};

struct EvidenceService::Impl {
  EvidenceConfig cfg;
  fs::path root;
  std::function<void(std::function<void()>)> after_transcripts;
  Spool spool;
  std::vector<std::uint8_t> webhook_key;
  std::atomic<bool> cancel{false};
  S3Client s3;
  Backoff backoff;
  std::atomic<bool> started{false};

  std::atomic<std::uint64_t> next_call{1};
  std::atomic<std::uint64_t> next_seq{1};

  mutable std::mutex mu;
  std::condition_variable intake_cv, events_cv, uploads_cv, idle_cv;
  std::deque<Handoff> intake;
  bool intake_busy = false;
  bool stopping = false;
  std::map<std::uint64_t, EventJob> events;   // pending, by seq
  std::map<std::uint64_t, UploadJob> uploads;
  std::map<std::uint64_t, double> event_due, upload_due;  // monotonic seconds; absent = now
  unsigned in_flight = 0;
  std::size_t dead = 0;
  bool spool_failing = false;  // warned once per failure streak

  std::unordered_map<std::uint64_t, CallState> calls;  // intake thread only
  std::thread intake_thread, events_thread, uploads_thread;

  Impl(EvidenceConfig c, fs::path r, std::function<void(std::function<void()>)> a)
      : cfg(std::move(c)), root(std::move(r)), after_transcripts(std::move(a)), spool(cfg.spool_dir),
        s3([&] {
          S3Settings s = cfg.s3;
          s.cancel = &cancel;
          return s;
        }()) {
    backoff.initial_seconds = cfg.retry_initial_seconds;
    backoff.max_seconds = cfg.retry_max_seconds;
  }

  void push(Handoff h) {
    bool wake;
    {
      std::lock_guard lock(mu);
      wake = intake.empty();
      intake.push_back(std::move(h));
    }
    if (wake) intake_cv.notify_one();
  }

  // Spool writes (never under `mu`) and gauges — evidence_service.cpp.
  void persist(const EventJob& job);
  void persist(const UploadJob& job);
  void spool_ok();
  // The job still goes out from memory; only a crash before then would lose it.
  void spool_failed(const char* kind, const std::string& error);
  void update_gauges();
  void add_event(const std::string& call_key, const char* type, const std::string& data_json, std::int64_t unix_us,
                 std::string id = {});

  // Intake thread — evidence_intake.cpp.
  void intake_loop();
  void handle(Handoff& h);
  UploadObject object_for(const fs::path& file, ObjectRole role);
  void recording_done(CallState& c, const fs::path& manifest, std::int64_t unix_us, bool call_open);
  void add_transcript(UploadJob& job, const fs::path& transcript);
  // The call is over (its transcript is on disk and closed): its upload may go.
  void close_upload(CallState& c);
  void store_upload(UploadJob job);

  // Events thread — evidence_delivery.cpp.
  // The first due event whose call has no earlier event still pending (order per call).
  EventJob* next_event(double now, double* wake_at);
  void events_loop();
  HttpResponse deliver(const EventJob& job);

  // Uploads thread — evidence_uploads.cpp.
  void uploads_loop();
  UploadResult upload(UploadJob& job);
  // Every object is in the store: announce it, then let the local copies go.
  void finish_upload(const UploadJob& job);
};

}  // namespace mediaflow::evidence
