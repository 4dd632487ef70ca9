// The evidence service: the media loops' hand-off API, start/stop and resume of the spool,
// the spool writes and gauges shared by the three threads (evidence_impl.hpp).
#include "evidence/evidence_impl.hpp"

#include <mediaflow/evidence/event_json.hpp>
#include <mediaflow/evidence/standard_webhooks.hpp>
#include <mediaflow/gstutil/structure_json.hpp>
#include <mediaflow/log.hpp>
#include <mediaflow/metrics.hpp>

#include <gst/gst.h>

#include <cstring>

namespace mediaflow::evidence {

void EvidenceService::Impl::persist(const EventJob& job) {
  std::string error;
  if (spool.save(job, &error)) return spool_ok();
  metrics().events(job.type, "spool_error").inc();
  spool_failed("event", error);
}

void EvidenceService::Impl::persist(const UploadJob& job) {
  std::string error;
  if (spool.save(job, &error)) return spool_ok();
  metrics().uploads("spool_error").inc();
  spool_failed("upload", error);
}

void EvidenceService::Impl::spool_ok() {
  std::lock_guard lock(mu);
  spool_failing = false;
}

// The job still goes out from memory; only a crash before then would lose it.
void EvidenceService::Impl::spool_failed(const char* kind, const std::string& error) {
  bool first;
  {
    std::lock_guard lock(mu);
    first = !spool_failing;
    spool_failing = true;
  }
  if (first) log::error("spool_write_failed", {{"kind", kind}, {"spool", cfg.spool_dir.string()}, {"error", error}});
}

void EvidenceService::Impl::update_gauges() {  // under mu
  double oldest_event = 0, oldest_upload = 0;
  if (!events.empty()) oldest_event = static_cast<double>(events.begin()->second.created_unix);
  for (const auto& [seq, job] : uploads)
    if (!oldest_upload || job.created_unix < oldest_upload) oldest_upload = static_cast<double>(job.created_unix);
  metrics().spool_items("event").set(static_cast<std::int64_t>(events.size()));
  metrics().spool_items("upload").set(static_cast<std::int64_t>(uploads.size()));
  metrics().spool_items("dead").set(static_cast<std::int64_t>(dead));
  metrics().spool_oldest_unix("event").set(static_cast<std::int64_t>(oldest_event));
  metrics().spool_oldest_unix("upload").set(static_cast<std::int64_t>(oldest_upload));
}

void EvidenceService::Impl::add_event(const std::string& call_key, const char* type, const std::string& data_json, std::int64_t unix_us,
               std::string id) {
  if (!cfg.events_enabled()) return;
  EventJob job;
  job.seq = next_seq.fetch_add(1);
  job.id = id.empty() ? random_id("evt_") : std::move(id);
  job.call_key = call_key;
  job.type = type;
  job.body = event_body(type, unix_us, data_json);
  job.created_unix = unix_us / G_USEC_PER_SEC;
  persist(job);
  {
    std::lock_guard lock(mu);
    events.emplace(job.seq, std::move(job));
    update_gauges();
  }
  events_cv.notify_one();
}

EvidenceService::EvidenceService(EvidenceConfig config, fs::path recordings_root,
                                 std::function<void(std::function<void()>)> after_transcripts_written)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(recordings_root), std::move(after_transcripts_written))) {}

EvidenceService::~EvidenceService() { stop(); }

bool EvidenceService::enabled() const { return impl_->cfg.enabled(); }

bool EvidenceService::start(std::string* error) {
  Impl& d = *impl_;
  if (!d.cfg.enabled() || d.started) return true;
  if (d.cfg.events_enabled()) d.webhook_key = decode_webhook_secret(d.cfg.webhook_secret).value_or(std::vector<std::uint8_t>{});
  if (!d.spool.open(error)) return false;
  init_http();
  Spool::Loaded loaded = d.spool.load();
  for (const auto& bad : loaded.unreadable) log::warn("spool_job_unreadable", {{"file", bad}});
  d.next_seq = loaded.max_seq + 1;
  {
    std::lock_guard lock(d.mu);
    for (auto& e : loaded.events) d.events.emplace(e.seq, std::move(e));
    for (auto& u : loaded.uploads) {
      if (u.call_open) {  // the process that recorded it died mid-call: upload what is there
        u.call_open = false;
        for (const auto& o : std::vector<UploadObject>(u.objects))
          if (o.role == ObjectRole::kManifest) d.add_transcript(u, fs::path(o.path).parent_path() / "transcript.jsonl");
      }
      d.uploads.emplace(u.seq, std::move(u));
    }
    d.dead = d.spool.dead_count();
    d.update_gauges();
  }
  if (!loaded.events.empty() || !loaded.uploads.empty())
    log::info("spool_resumed", {{"events", loaded.events.size()}, {"uploads", loaded.uploads.size()},
                                {"dead", d.dead}});
  d.started = true;
  d.intake_thread = std::thread([&d] { d.intake_loop(); });
  d.events_thread = std::thread([&d] { d.events_loop(); });
  d.uploads_thread = std::thread([&d] { d.uploads_loop(); });
  return true;
}

void EvidenceService::stop() {
  Impl& d = *impl_;
  if (!d.started) return;
  {
    std::lock_guard lock(d.mu);
    d.stopping = true;
  }
  d.cancel = true;
  d.intake_cv.notify_all();
  d.events_cv.notify_all();
  d.uploads_cv.notify_all();
  d.intake_thread.join();
  d.events_thread.join();
  d.uploads_thread.join();
  d.started = false;
}

std::uint64_t EvidenceService::call_started(CallInfo info) {
  if (!impl_->started) return 0;
  const std::uint64_t id = impl_->next_call.fetch_add(1);
  impl_->push({Handoff::kStarted, id, g_get_real_time(), std::move(info), {}, 0});
  return id;
}

void EvidenceService::recording_complete(std::uint64_t call, const GstStructure* message) {
  if (!call) return;
  const char* manifest = gst_structure_get_string(message, "manifest");
  if (!manifest || !*manifest) return;
  impl_->push({Handoff::kRecording, call, g_get_real_time(), {}, manifest, 0});
}

void EvidenceService::call_event(std::uint64_t call, const GstStructure* message) {
  if (!call || !impl_->cfg.include_transcripts || !impl_->cfg.events_enabled()) return;
  if (!gst_structure_has_name(message, "mediaflow-transcript")) return;
  gboolean final_segment = FALSE;
  if (!gst_structure_get_boolean(message, "is-final", &final_segment) || !final_segment) return;
  impl_->push({Handoff::kTranscript, call, g_get_real_time(), {}, gstutil::structure_to_json(message), 0});
}

void EvidenceService::call_ended(std::uint64_t call, const std::string& outcome, unsigned close_code) {
  if (!call) return;
  Handoff h{Handoff::kEnded, call, g_get_real_time(), {}, outcome, close_code};
  if (!impl_->after_transcripts) {
    impl_->push(std::move(h));
    return;
  }
  // Its transcript lines and close are queued on the event writer before this: the upload
  // sees the whole file.
  impl_->after_transcripts([d = impl_.get(), h = std::move(h)]() mutable { d->push(std::move(h)); });
}

void EvidenceService::upload_recovered(const fs::path& manifest) {
  if (!impl_->started || !impl_->cfg.uploads_enabled()) return;
  impl_->push({Handoff::kAdopt, 0, g_get_real_time(), {}, manifest.string(), 0});
}

SpoolStats EvidenceService::stats() const {
  const Impl& d = *impl_;
  std::lock_guard lock(d.mu);
  SpoolStats s;
  s.events = d.events.size();
  s.uploads = d.uploads.size();
  s.dead = d.dead;
  const double now = static_cast<double>(g_get_real_time()) / G_USEC_PER_SEC;
  if (!d.events.empty()) s.oldest_event_seconds = now - static_cast<double>(d.events.begin()->second.created_unix);
  for (const auto& [seq, job] : d.uploads)
    s.oldest_upload_seconds = std::max(s.oldest_upload_seconds, now - static_cast<double>(job.created_unix));
  return s;
}

bool EvidenceService::idle() const {
  const Impl& d = *impl_;
  std::lock_guard lock(d.mu);
  return d.intake.empty() && !d.intake_busy && d.events.empty() && d.uploads.empty() && d.in_flight == 0;
}

bool EvidenceService::wait_idle(double timeout_seconds) {
  Impl& d = *impl_;
  std::unique_lock lock(d.mu);
  return d.idle_cv.wait_for(lock, std::chrono::duration<double>(timeout_seconds), [&] {
    return d.intake.empty() && !d.intake_busy && d.events.empty() && d.uploads.empty() && d.in_flight == 0;
  });
}

}  // namespace mediaflow::evidence
