// The intake thread: media-loop hand-offs become spool jobs (events, call uploads).
#include "evidence/evidence_impl.hpp"

#include <mediaflow/evidence/event_json.hpp>
#include <mediaflow/log.hpp>

#include <json-glib/json-glib.h>

#include <cstring>

namespace mediaflow::evidence {
namespace {

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

}  // namespace

void EvidenceService::Impl::intake_loop() {
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

void EvidenceService::Impl::handle(Handoff& h) {
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

UploadObject EvidenceService::Impl::object_for(const fs::path& file, ObjectRole role) {
  UploadObject o;
  o.path = file.string();
  o.key = object_key(cfg.bucket, root, file).value_or("");
  o.role = role;
  return o;
}

void EvidenceService::Impl::recording_done(CallState& c, const fs::path& manifest, std::int64_t unix_us, bool call_open) {
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

void EvidenceService::Impl::add_transcript(UploadJob& job, const fs::path& transcript) {
  std::error_code ec;
  if (transcript.empty() || !fs::is_regular_file(transcript, ec)) return;
  for (const auto& o : job.objects)
    if (o.path == transcript.string()) return;
  UploadObject o = object_for(transcript, ObjectRole::kTranscript);
  if (!o.key.empty()) job.objects.push_back(std::move(o));
}

// The call is over (its transcript is on disk and closed): its upload may go.
void EvidenceService::Impl::close_upload(CallState& c) {
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

void EvidenceService::Impl::store_upload(UploadJob job) {
  persist(job);
  const bool open = job.call_open;
  {
    std::lock_guard lock(mu);
    uploads[job.seq] = std::move(job);
    update_gauges();
  }
  if (!open) uploads_cv.notify_one();
}

}  // namespace mediaflow::evidence
