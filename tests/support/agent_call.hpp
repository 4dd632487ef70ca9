// Drives an agent element (any vendor) the way the host does: a loop thread with its own
// thread-default GMainContext builds `[test pad] → agent → twiliosink` and pushes caller audio
// inline; twiliosink's outbound messages (media, mark, clear) and the bus are collected.
// echo_mark() sends the `mediaflow-mark-echo` event down the caller's audio, as the call's
// ingest does for Twilio's echo; push_transcript() feeds the agent's `transcript` pad (when it
// has one, also inside a bin), as the ASR linked to it in a pipeline file does.
#pragma once

#include "support/loop_thread.hpp"

#include <gst/gst.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace mediaflow::test {

struct OutboundMessage {
  std::string event;                 // media, mark, clear
  std::vector<std::uint8_t> payload; // media: decoded mu-law
  std::string mark;                  // mark: name
};

class AgentCall {
 public:
  // `agent` (ref taken) gets caller audio in `caps`; its src feeds a twiliosink.
  AgentCall(GstElement* agent, std::string caps, std::size_t bytes_per_second);
  ~AgentCall();

  void start();
  // One buffer per call (inline on the loop), timestamps continuing.
  void push(const std::vector<std::uint8_t>& bytes);
  void push_chunks(const std::vector<std::uint8_t>& bytes, std::size_t chunk);
  void echo_mark(const std::string& name);
  // One ASR result (taken) on the agent's transcript pad, from the loop thread; false when the
  // agent has no transcript pad.
  bool push_transcript(GstStructure* result);
  void eos();
  void stop();

  std::vector<OutboundMessage> outbound() const;
  // Element messages named mediaflow-agent-event (copies), errors and warnings seen so far.
  std::vector<GstStructure*> agent_events(const char* kind = nullptr);  // caller frees with gst_structure_free
  std::vector<std::string> errors();
  std::vector<std::string> warnings();
  bool eos_seen();
  // Polls (pumping the bus) until `pred` holds or the timeout passes.
  bool wait(const std::function<bool()>& pred, int timeout_ms = 4000);

  GstElement* pipeline() const { return pipeline_; }
  LoopThread& loop() { return loop_; }

 private:
  void pump();
  static void on_outbound(GstElement*, const gchar* json, gpointer self);

  LoopThread loop_;
  GstElement* pipeline_ = nullptr;
  GstElement* agent_ = nullptr;
  GstElement* sink_ = nullptr;
  GstPad* src_ = nullptr;
  GstPad* transcript_src_ = nullptr;  // linked to the agent's transcript pad, if any
  GstBus* bus_ = nullptr;
  std::string caps_;
  std::size_t bytes_per_second_;
  std::uint64_t pushed_bytes_ = 0;
  bool stopped_ = false;

  mutable std::mutex mutex_;
  std::vector<OutboundMessage> outbound_;
  std::vector<GstStructure*> events_;
  std::vector<std::string> errors_, warnings_;
  bool eos_ = false;
};

}  // namespace mediaflow::test
