// Drives one TTS element (text in, audio out) as a pipeline would, without a main loop: text
// buffers into its sink pad, everything its src pad pushes recorded in order (audio bytes,
// marks with the audio byte they follow, EOS) and the bus messages it posts. For the element
// tests (tests/tts_elevenlabs) and the TTS conformance suite.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mediaflow::test {

struct TtsOutput {
  std::string caps;                       // the src pad's caps, as a string
  std::vector<std::uint8_t> audio;        // every byte pushed, in order
  std::vector<GstClockTime> pts;          // each buffer's PTS
  std::vector<GstClockTime> ends;         // each buffer's PTS + duration
  std::vector<std::pair<std::size_t, std::string>> marks;  // (audio bytes before it, name)
  int interruptions = 0;                  // interruption events passed downstream
  bool eos = false;
  std::vector<std::string> errors, warnings;  // bus error and warning texts
  std::vector<std::string> element_messages;  // names of element messages, in order
};

class TtsRun {
 public:
  explicit TtsRun(GstElement* element);  // takes the (floating) reference
  ~TtsRun();
  TtsRun(const TtsRun&) = delete;
  TtsRun& operator=(const TtsRun&) = delete;

  bool play();  // PLAYING; sends stream-start, caps text/x-raw,format=utf8, segment
  void push_text(const std::string& text, bool flush = false);  // flush: GST_BUFFER_FLAG_MARKER
  void end_input();  // EOS on the sink pad
  void interrupt();  // a mediaflow-interruption event on the sink pad
  bool wait_eos(unsigned timeout_ms);
  bool wait_audio_bytes(std::size_t bytes, unsigned timeout_ms);
  bool wait_marks(std::size_t count, unsigned timeout_ms);
  bool wait_message(bool error, unsigned timeout_ms);  // an error (true) or a warning (false)
  TtsOutput output();  // a snapshot (bus messages read first)

 private:
  static GstFlowReturn chain(GstPad* pad, GstObject* parent, GstBuffer* buffer);
  static gboolean event(GstPad* pad, GstObject* parent, GstEvent* event);
  void drain_bus();
  template <class Pred>
  bool wait(Pred pred, unsigned timeout_ms);

  GstElement* pipeline_ = nullptr;
  GstElement* element_ = nullptr;
  GstPad* feed_ = nullptr;     // ours → the element's sink
  GstPad* capture_ = nullptr;  // the element's src → ours
  GMutex lock_;
  GCond cond_;
  TtsOutput out_;
};

}  // namespace mediaflow::test
