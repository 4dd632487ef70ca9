// The uploads thread: a call's objects to the bucket, then recording.stored and the local
// files removed.
#include "evidence/evidence_impl.hpp"

#include <mediaflow/evidence/event_json.hpp>
#include <mediaflow/log.hpp>
#include <mediaflow/metrics.hpp>

#include <set>

namespace mediaflow::evidence {

void EvidenceService::Impl::uploads_loop() {
  std::mt19937_64 rng(std::random_device{}());
  std::unique_lock lock(mu);
  while (!stopping) {
    const double now = now_seconds();
    double wake_at = 0;
    UploadJob* next = nullptr;
    for (auto& [seq, job] : uploads) {
      if (job.call_open) continue;
      auto due = upload_due.find(seq);
      if (due == upload_due.end() || due->second <= now) {
        next = &job;
        break;
      }
      if (!wake_at || due->second < wake_at) wake_at = due->second;
    }
    if (!next) {
      if (wake_at) uploads_cv.wait_for(lock, std::chrono::duration<double>(wake_at - now));
      else uploads_cv.wait(lock);
      continue;
    }
    UploadJob job = *next;
    ++in_flight;
    lock.unlock();
    const UploadResult r = upload(job);
    lock.lock();
    --in_flight;
    if (r.outcome == Outcome::kRetry && !cancel) {
      upload_due[job.seq] = now_seconds() + backoff.delay_seconds(job.attempts, rng);
      uploads[job.seq] = job;
    } else if (r.outcome != Outcome::kRetry) {
      uploads.erase(job.seq);
      upload_due.erase(job.seq);
      if (r.outcome == Outcome::kPermanent) ++dead;
    }
    update_gauges();
    idle_cv.notify_all();
  }
}

UploadResult EvidenceService::Impl::upload(UploadJob& job) {
  UploadSettings st{cfg.multipart_threshold_bytes, cfg.part_bytes};
  UploadResult r = run_upload(job, s3, st, [&](const UploadJob& j) { persist(j); },
                              [] { metrics().uploads("stored").inc(); });
  if (r.outcome == Outcome::kSuccess) {
    finish_upload(job);
  } else if (r.outcome == Outcome::kPermanent) {
    abort_unfinished(job, s3);
    spool.bury(job, r.reason);
    metrics().uploads("failed").inc();
    log::error("upload_failed", {{"call", log::call_id(job.call_sid)}, {"bucket", job.bucket},
                                 {"reason", r.reason}, {"files_kept", true}});
  } else if (!cancel) {
    ++job.attempts;
    metrics().uploads("retry").inc();
    persist(job);
    if (job.attempts == 1 || job.attempts % 10 == 0)
      log::warn("upload_retry", {{"call", log::call_id(job.call_sid)}, {"attempts", job.attempts}, {"reason", r.reason}});
  }
  return r;
}

// Every object is in the store: announce it, then let the local copies go.
void EvidenceService::Impl::finish_upload(const UploadJob& job) {
  JsonFields data;
  data.add("call_sid", job.call_sid).add("bucket", job.bucket);
  std::vector<std::string> ids = job.recording_ids;
  std::string objects = "[";
  for (const auto& o : job.objects)
    objects += (objects.size() > 1 ? "," : "") + JsonFields().add("role", std::string(to_string(o.role)))
                                                     .add("key", o.key).add("etag", o.etag)
                                                     .add("bytes", static_cast<std::int64_t>(o.bytes)).str();
  objects += "]";
  data.add_raw("recording_ids", json_string_array(ids)).add_raw("objects", objects);
  // The same id if a crash makes us announce it twice: receivers deduplicate.
  add_event(job.call_key, "recording.stored", data.str(), g_get_real_time(), "evt_" + job.id + "_stored");
  if (!cfg.keep_local) {
    std::set<fs::path> folders;
    for (const auto& o : job.objects) {
      std::error_code ec;
      fs::remove(o.path, ec);
      folders.insert(fs::path(o.path).parent_path());
    }
    for (const auto& f : folders) {
      std::error_code ec;
      fs::remove(f, ec);  // only if empty
    }
  }
  spool.remove(JobKind::kUpload, job.seq);
  log::info("recording_stored", {{"call", log::call_id(job.call_sid)}, {"objects", job.objects.size()},
                                 {"bucket", job.bucket}});
}

}  // namespace mediaflow::evidence
