#include <mediaflow/protocol/heard_tracker.hpp>

#include <algorithm>
#include <charconv>
#include <string_view>

namespace mediaflow::protocol {
namespace {

constexpr std::uint64_t kNsPerMs = 1000000;
// Responses older than this many are forgotten (a call has a few hundred at most).
constexpr std::size_t kMaxResponses = 256;

// The sequence number of one of our mark names, only in the form next_mark() writes (no sign,
// no leading zero): any other name matches no pending mark, as a string comparison would.
std::optional<std::uint64_t> mark_seq(std::string_view digits) {
  std::uint64_t seq = 0;
  if (digits.empty() || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return seq;
}

}  // namespace

HeardTracker::Response& HeardTracker::response(std::uint64_t event_id) {
  if (responses_.empty() || responses_.back().first < event_id) return responses_.emplace_back(event_id, Response{}).second;
  auto it = std::lower_bound(responses_.begin(), responses_.end(), event_id,
                             [](const auto& r, std::uint64_t id) { return r.first < id; });
  if (it == responses_.end() || it->first != event_id) it = responses_.insert(it, {event_id, Response{}});
  return it->second;
}

HeardTracker::Response* HeardTracker::find_response(std::uint64_t event_id) {
  if (!responses_.empty() && responses_.back().first == event_id) return &responses_.back().second;
  auto it = std::lower_bound(responses_.begin(), responses_.end(), event_id,
                             [](const auto& r, std::uint64_t id) { return r.first < id; });
  return it != responses_.end() && it->first == event_id ? &it->second : nullptr;
}

std::string HeardTracker::next_mark(std::uint64_t event_id, std::uint64_t duration_ns) {
  const std::uint64_t sent_ns = (response(event_id).sent_ns += duration_ns);
  while (responses_.size() > kMaxResponses) responses_.pop_front();  // the lowest ids, as before
  std::string name = prefix_ + std::to_string(++seq_);
  pending_.push_back({seq_, event_id, sent_ns, false});
  return name;
}

std::optional<Heard> HeardTracker::on_echo(const std::string& name) {
  if (!owns(name)) return std::nullopt;
  const std::optional<std::uint64_t> seq = mark_seq(std::string_view(name).substr(prefix_.size()));
  // Echoes arrive in order: everything before this mark has been echoed too (or was lost).
  while (!pending_.empty()) {
    Pending p = pending_.front();
    pending_.pop_front();
    if (!seq || p.seq != *seq) continue;
    if (p.cleared) return std::nullopt;
    Response* r = find_response(p.event_id);
    if (!r) return std::nullopt;
    r->heard_ns = std::max(r->heard_ns, p.end_ns);
    return Heard{p.event_id, r->heard_ns / kNsPerMs, r->sent_ns / kNsPerMs, false};
  }
  return std::nullopt;  // not pending: a repeat, or already dropped
}

std::vector<Heard> HeardTracker::on_interruption() {
  std::vector<Heard> out;
  for (Pending& p : pending_) {
    if (p.cleared) continue;
    p.cleared = true;
    if (!out.empty() && out.back().event_id == p.event_id) continue;
    const Response& r = response(p.event_id);
    out.push_back({p.event_id, r.heard_ns / kNsPerMs, r.sent_ns / kNsPerMs, true});
  }
  return out;
}

}  // namespace mediaflow::protocol
