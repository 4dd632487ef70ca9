// How much of each agent response the caller actually heard, from Twilio mark echoes. Shared by
// every agent element that reports `heard` events (docs/agent-events.md): elevenlabsagent,
// espeakagent.
//
// After a stretch of a response's audio the element sends a mark (name from next_mark());
// Twilio echoes a mark once the audio before it has played. Echoes come back in
// the order the marks were sent. A Twilio `clear` (our interruption) also echoes every pending
// mark, so marks pending at an interruption prove nothing: they are flagged and their echoes
// ignored. Plain C++, no locking (the element serialises calls).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mediaflow::protocol {

struct Heard {
  std::uint64_t event_id = 0;  // the response's id (vendor audio event id, or utterance number)
  std::uint64_t heard_ms = 0;  // audio of that response played to the caller (confirmed)
  std::uint64_t sent_ms = 0;   // audio of that response sent towards the caller
  bool interrupted = false;    // the rest was cleared by a barge-in
};

class HeardTracker {
 public:
  // `prefix` makes our mark names unique in the call (several agents, other elements' marks).
  explicit HeardTracker(std::string prefix) : prefix_(std::move(prefix)) {}

  // `duration_ns` of audio of response `event_id` was sent; returns the mark to send after it.
  std::string next_mark(std::uint64_t event_id, std::uint64_t duration_ns);
  // A Twilio mark echo: a report when it is ours and proves audio was heard.
  std::optional<Heard> on_echo(const std::string& name);
  // A barge-in (we send Twilio `clear`): one report per response still playing.
  std::vector<Heard> on_interruption();

  bool owns(const std::string& name) const { return name.rfind(prefix_, 0) == 0; }
  std::size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    std::uint64_t seq;     // the mark is prefix_ + seq
    std::uint64_t event_id;
    std::uint64_t end_ns;  // audio of the response up to this mark
    bool cleared = false;
  };
  struct Response {
    std::uint64_t sent_ns = 0;
    std::uint64_t heard_ns = 0;
  };
  // Responses by event id, ascending (ids grow, so a new one goes at the back): a deque instead
  // of a std::map, no node per response; with one response per chunk (the bench's fake) the map
  // cost a node, an erase and a cache-missing walk per mark (session 7, docs/benchmarks.md).
  Response& response(std::uint64_t event_id);
  Response* find_response(std::uint64_t event_id);

  std::string prefix_;
  std::uint64_t seq_ = 0;
  std::deque<Pending> pending_;
  std::deque<std::pair<std::uint64_t, Response>> responses_;
};

}  // namespace mediaflow::protocol
