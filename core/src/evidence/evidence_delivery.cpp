// The events thread: webhook deliveries in spool order per call, retried with backoff.
#include "evidence/evidence_impl.hpp"

#include <mediaflow/evidence/standard_webhooks.hpp>
#include <mediaflow/log.hpp>
#include <mediaflow/metrics.hpp>

#include <set>

namespace mediaflow::evidence {

// The first due event whose call has no earlier event still pending (order per call).
EventJob* EvidenceService::Impl::next_event(double now, double* wake_at) {
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

void EvidenceService::Impl::events_loop() {
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

HttpResponse EvidenceService::Impl::deliver(const EventJob& job) {
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

}  // namespace mediaflow::evidence
