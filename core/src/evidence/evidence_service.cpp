#include <mediaflow/evidence/evidence_service.hpp>

#include <mediaflow/evidence/event_json.hpp>
#include <mediaflow/evidence/http_request.hpp>
#include <mediaflow/evidence/spool.hpp>
#include <mediaflow/evidence/standard_webhooks.hpp>
#include <mediaflow/evidence/upload_runner.hpp>
#include <mediaflow/gstutil/structure_json.hpp>
#include <mediaflow/log.hpp>
#include <mediaflow/metrics.hpp>

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

namespace mediaflow::evidence {
namespace {

namespace fs = std::filesystem;

double now_seconds() { return static_cast<double>(g_get_monotonic_time()) / G_USEC_PER_SEC; }

// The WAV files a manifest lists (`files[].file`, beside it); empty if unreadable.
std::vector<fs::path> manifest_files(const fs::path& manifest, std::string* recording_id) {
  std::vector<fs::path> out;
  JsonParser* p = json_parser_new();
  if (json_parser_load_from_file(p, manifest.c_str(), nullptr) && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
    JsonObject* m = json_node_get_object(json_parser_get_root(p));
    *recording_id = json_object_get_string_member_with_default(m, "recording_id", "");
    if (json_object_has_member(m, "files") && JSON_NODE_HOLDS_ARRAY(json_object_get_member(m, "files"))) {
      JsonArray* files = json_object_get_array_member(m, "files");
      for (guint i = 0; i < json_array_get_length(files); ++i) {
        JsonNode* n = json_array_get_element(files, i);
        if (!JSON_NODE_HOLDS_OBJECT(n)) continue;
        const char* f = json_object_get_string_member_with_default(json_node_get_object(n), "file", "");
        // Only a plain name beside the manifest: never follow a path out of the folder.
        if (*f && !std::strchr(f, '/') && std::strcmp(f, "..") != 0) out.push_back(manifest.parent_path() / f);
      }
    }
  }
  g_object_unref(p);
  return out;
}

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

}  // namespace

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

  // ---- spool writes (never under `mu`) ----
  void persist(const EventJob& job) {
    std::string error;
    if (spool.save(job, &error)) return spool_ok();
    metrics().events(job.type, "spool_error").inc();
    spool_failed("event", error);
  }

  void persist(const UploadJob& job) {
    std::string error;
    if (spool.save(job, &error)) return spool_ok();
    metrics().uploads("spool_error").inc();
    spool_failed("upload", error);
  }

  void spool_ok() {
    std::lock_guard lock(mu);
    spool_failing = false;
  }

  // The job still goes out from memory; only a crash before then would lose it.
  void spool_failed(const char* kind, const std::string& error) {
    bool first;
    {
      std::lock_guard lock(mu);
      first = !spool_failing;
      spool_failing = true;
    }
    if (first) log::error("spool_write_failed", {{"kind", kind}, {"spool", cfg.spool_dir.string()}, {"error", error}});
  }

  void update_gauges() {  // under mu
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

  void add_event(const std::string& call_key, const char* type, const std::string& data_json, std::int64_t unix_us,
                 std::string id = {}) {
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

  // ---- intake thread: hand-offs become jobs ----
  void intake_loop() {
    std::unique_lock lock(mu);
    for (;;) {
      intake_cv.wait(lock, [&] { return stopping || !intake.empty(); });
      if (stopping && intake.empty()) break;
      Handoff h = std::move(intake.front());
      intake.pop_front();
      intake_busy = true;
      lock.unlock();
      handle(h);
      lock.lock();
      intake_busy = false;
      idle_cv.notify_all();
    }
  }

  void handle(Handoff& h) {
    switch (h.kind) {
      case Handoff::kStarted: {
        CallState& c = calls[h.call];
        c.info = std::move(h.info);
        c.key = random_id("call_");
        c.started_us = h.unix_us;
        add_event(c.key, "call.started",
                  JsonFields().add("call_sid", c.info.call_sid).add("stream_sid", c.info.stream_sid)
                      .add("account_sid", c.info.account_sid).add("organization_id", c.info.organization_id)
                      .add("pipeline", c.info.pipeline).str(),
                  h.unix_us);
        return;
      }
      case Handoff::kRecording:
      case Handoff::kAdopt: {
        CallState* c = nullptr;
        CallState adopted;
        if (h.kind == Handoff::kRecording) {
          auto it = calls.find(h.call);
          if (it == calls.end()) return;
          c = &it->second;
        } else {
          adopted.key = random_id("call_");
          c = &adopted;
        }
        recording_done(*c, fs::path(h.text), h.unix_us, h.kind == Handoff::kRecording);
        return;
      }
      case Handoff::kTranscript: {
        auto it = calls.find(h.call);
        if (it == calls.end()) return;
        add_event(it->second.key, "transcript.final",
                  JsonFields().add("call_sid", it->second.info.call_sid).add_raw("segment", h.text).str(), h.unix_us);
        return;
      }
      case Handoff::kEnded: {
        auto it = calls.find(h.call);
        if (it == calls.end()) return;
        CallState c = std::move(it->second);
        calls.erase(it);
        add_event(c.key, "call.ended",
                  JsonFields().add("call_sid", c.info.call_sid).add("stream_sid", c.info.stream_sid)
                      .add("outcome", h.text).add("close_code", static_cast<std::int64_t>(h.close_code))
                      .add("duration_seconds", static_cast<double>(h.unix_us - c.started_us) / G_USEC_PER_SEC)
                      .add("pipeline", c.info.pipeline).str(),
                  h.unix_us);
        close_upload(c);
        return;
      }
    }
  }

  UploadObject object_for(const fs::path& file, ObjectRole role) {
    UploadObject o;
    o.path = file.string();
    o.key = object_key(cfg.bucket, root, file).value_or("");
    o.role = role;
    return o;
  }

  void recording_done(CallState& c, const fs::path& manifest, std::int64_t unix_us, bool call_open) {
    std::string recording_id;
    const auto wavs = manifest_files(manifest, &recording_id);
    if (cfg.events_enabled()) {
      const std::string text = read_small_file(manifest).value_or("");
      JsonParser* p = json_parser_new();
      const bool is_json = json_parser_load_from_data(p, text.c_str(), static_cast<gssize>(text.size()), nullptr);
      g_object_unref(p);
      add_event(c.key, "recording.completed", is_json && !text.empty() ? text : "{}", unix_us);
    }
    if (!cfg.uploads_enabled()) return;
    if (c.info.call_sid.empty()) c.info.call_sid = manifest.parent_path().filename().string();
    UploadJob job;
    {
      std::lock_guard lock(mu);
      if (auto it = uploads.find(c.upload_seq); c.upload_seq && it != uploads.end()) job = it->second;
    }
    if (!job.seq) {
      job.seq = next_seq.fetch_add(1);
      job.id = random_id("upl_");
      job.call_key = c.key;
      job.call_sid = c.info.call_sid;
      job.bucket = cfg.bucket.bucket;
      job.created_unix = unix_us / G_USEC_PER_SEC;
      c.upload_seq = job.seq;
    }
    job.call_open = call_open;
    job.recording_ids.push_back(recording_id);
    bool outside = false;
    for (const auto& wav : wavs) {
      job.objects.push_back(object_for(wav, ObjectRole::kRecording));
      outside |= job.objects.back().key.empty();
    }
    job.objects.push_back(object_for(manifest, ObjectRole::kManifest));
    outside |= job.objects.back().key.empty();
    if (outside) {  // recorder `root` set elsewhere than RECORDINGS_DIR: no key mirrors its layout
      log::warn("upload_skipped", {{"call", log::call_id(c.info.call_sid)}, {"reason", "recording outside RECORDINGS_DIR"}});
      return;
    }
    if (!call_open) add_transcript(job, manifest.parent_path() / "transcript.jsonl");
    store_upload(std::move(job));
  }

  void add_transcript(UploadJob& job, const fs::path& transcript) {
    std::error_code ec;
    if (transcript.empty() || !fs::is_regular_file(transcript, ec)) return;
    for (const auto& o : job.objects)
      if (o.path == transcript.string()) return;
    UploadObject o = object_for(transcript, ObjectRole::kTranscript);
    if (!o.key.empty()) job.objects.push_back(std::move(o));
  }

  // The call is over (its transcript is on disk and closed): its upload may go.
  void close_upload(CallState& c) {
    if (!cfg.uploads_enabled()) return;
    UploadJob job;
    {
      std::lock_guard lock(mu);
      if (auto it = uploads.find(c.upload_seq); c.upload_seq && it != uploads.end()) job = it->second;
    }
    if (!job.seq) {  // no recording: the transcript alone, if there is one
      job.seq = next_seq.fetch_add(1);
      job.id = random_id("upl_");
      job.call_key = c.key;
      job.call_sid = c.info.call_sid;
      job.bucket = cfg.bucket.bucket;
      job.created_unix = g_get_real_time() / G_USEC_PER_SEC;
      add_transcript(job, c.info.transcript_path);
      if (job.objects.empty()) return;
    } else {
      add_transcript(job, c.info.transcript_path);
    }
    job.call_open = false;
    store_upload(std::move(job));
  }

  void store_upload(UploadJob job) {
    persist(job);
    const bool open = job.call_open;
    {
      std::lock_guard lock(mu);
      uploads[job.seq] = std::move(job);
      update_gauges();
    }
    if (!open) uploads_cv.notify_one();
  }

  // ---- events thread ----
  // The first due event whose call has no earlier event still pending (order per call).
  EventJob* next_event(double now, double* wake_at) {
    std::set<std::string> blocked;
    *wake_at = 0;
    for (auto& [seq, job] : events) {
      if (blocked.count(job.call_key)) continue;
      blocked.insert(job.call_key);
      auto due = event_due.find(seq);
      if (due == event_due.end() || due->second <= now) return &job;
      if (!*wake_at || due->second < *wake_at) *wake_at = due->second;
    }
    return nullptr;
  }

  void events_loop() {
    std::mt19937_64 rng(std::random_device{}());
    std::unique_lock lock(mu);
    while (!stopping) {
      double wake_at = 0;
      EventJob* next = next_event(now_seconds(), &wake_at);
      if (!next) {
        if (wake_at) events_cv.wait_for(lock, std::chrono::duration<double>(wake_at - now_seconds()));
        else events_cv.wait(lock);
        continue;
      }
      EventJob job = *next;
      ++in_flight;
      lock.unlock();
      const HttpResponse res = deliver(job);
      const Outcome outcome = classify(res.transport_ok, res.status);
      const std::string why = res.transport_ok ? "HTTP " + std::to_string(res.status) : res.error;
      if (outcome == Outcome::kSuccess) {
        spool.remove(JobKind::kEvent, job.seq);
        metrics().events(job.type, "delivered").inc();
      } else if (outcome == Outcome::kPermanent) {
        spool.bury(job, why);
        metrics().events(job.type, "failed").inc();
        log::error("event_failed", {{"type", job.type}, {"id", job.id}, {"reason", why}});
      } else {
        ++job.attempts;
        metrics().events(job.type, "retry").inc();
        if (job.attempts == 1 || job.attempts % 10 == 0)
          log::warn("event_retry", {{"type", job.type}, {"id", job.id}, {"attempts", job.attempts}, {"reason", why}});
        if (!cancel) persist(job);
      }
      lock.lock();
      --in_flight;
      if (outcome == Outcome::kRetry) {
        event_due[job.seq] = now_seconds() + backoff.delay_seconds(job.attempts, rng);
        events[job.seq].attempts = job.attempts;
      } else {
        events.erase(job.seq);
        event_due.erase(job.seq);
        if (outcome == Outcome::kPermanent) ++dead;
      }
      update_gauges();
      idle_cv.notify_all();
    }
  }

  HttpResponse deliver(const EventJob& job) {
    const std::int64_t ts = g_get_real_time() / G_USEC_PER_SEC;  // signed per attempt
    HttpRequest req;
    req.method = "POST";
    req.url = cfg.webhook_url;
    req.body = job.body;
    req.total_timeout_seconds = cfg.webhook_timeout_seconds;
    req.stall_seconds = cfg.webhook_timeout_seconds;
    req.cancel = &cancel;
    req.headers = {"Content-Type: application/json", "webhook-id: " + job.id,
                   "webhook-timestamp: " + std::to_string(ts),
                   "webhook-signature: " + sign_webhook(webhook_key, job.id, ts, job.body)};
    return perform(req);
  }

  // ---- uploads thread ----
  void uploads_loop() {
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

  UploadResult upload(UploadJob& job) {
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
  void finish_upload(const UploadJob& job) {
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
};

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
