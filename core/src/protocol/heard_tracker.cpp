#include <mediaflow/protocol/heard_tracker.hpp>

#include <algorithm>

namespace mediaflow::protocol {
namespace {

constexpr std::uint64_t kNsPerMs = 1000000;
// Responses older than this many are forgotten (a call has a few hundred at most).
constexpr std::size_t kMaxResponses = 256;

}  // namespace

std::string HeardTracker::next_mark(std::uint64_t event_id, std::uint64_t duration_ns) {
  Response& r = responses_[event_id];
  r.sent_ns += duration_ns;
  while (responses_.size() > kMaxResponses) responses_.erase(responses_.begin());
  std::string name = prefix_ + std::to_string(++seq_);
  pending_.push_back({name, event_id, r.sent_ns, false});
  return name;
}

std::optional<Heard> HeardTracker::on_echo(const std::string& name) {
  if (!owns(name)) return std::nullopt;
  // Echoes arrive in order: everything before this mark has been echoed too (or was lost).
  while (!pending_.empty()) {
    Pending p = pending_.front();
    pending_.pop_front();
    if (p.name != name) continue;
    if (p.cleared) return std::nullopt;
    auto it = responses_.find(p.event_id);
    if (it == responses_.end()) return std::nullopt;
    it->second.heard_ns = std::max(it->second.heard_ns, p.end_ns);
    return Heard{p.event_id, it->second.heard_ns / kNsPerMs, it->second.sent_ns / kNsPerMs, false};
  }
  return std::nullopt;  // not pending: a repeat, or already dropped
}

std::vector<Heard> HeardTracker::on_interruption() {
  std::vector<Heard> out;
  for (Pending& p : pending_) {
    if (p.cleared) continue;
    p.cleared = true;
    if (!out.empty() && out.back().event_id == p.event_id) continue;
    const Response& r = responses_[p.event_id];
    out.push_back({p.event_id, r.heard_ns / kNsPerMs, r.sent_ns / kNsPerMs, true});
  }
  return out;
}

}  // namespace mediaflow::protocol
