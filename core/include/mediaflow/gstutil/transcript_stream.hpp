// The in-band transcript stream: what an ASR element heard, as buffers on its `transcript`
// source pad, for the elements the pipeline file links it to (an agent's `transcript` sink
// pad). Caps `text/x-mediaflow-transcript`; each buffer is one result of the transcript schema
// (docs/transcript-schema.md) as one JSON object — the same line the host writes to
// transcript.jsonl — with PTS = the result's call time (a transcript's `start`, speech-started's
// `timestamp`, utterance-end's `last-word-end`) in a TIME segment starting at 0, so PTS is
// running time. Bus messages stay for the host; elements read each other only through pads.
#pragma once

#include <gst/gst.h>

#include <optional>
#include <string>
#include <vector>

#define MEDIAFLOW_TRANSCRIPT_CAPS "text/x-mediaflow-transcript"

namespace mediaflow::gstutil {

inline constexpr const char* kTranscriptPadName = "transcript";

// A new "transcript" pad template (always, caps MEDIAFLOW_TRANSCRIPT_CAPS) for class_init:
// GST_PAD_SRC on an ASR, GST_PAD_SINK on an element that consumes transcripts. Transfer floating.
GstPadTemplate* transcript_pad_template(GstPadDirection direction);

// Creates the element's "transcript" pad from its class's template and adds it. An ASR's
// source pad needs nothing else; a consumer sets its chain and event functions on the result.
GstPad* add_transcript_pad(GstElement* element, GstPadDirection direction);

// One result, as a buffer: `result` (a mediaflow-transcript, mediaflow-speech-started or
// mediaflow-utterance-end structure) serialized; PTS from its own time field, DURATION a
// transcript's `duration`.
GstBuffer* make_transcript_buffer(const GstStructure* result);

// Pushes `result` on an ASR's transcript source pad, from any thread (pushes are serialized by
// the pad's stream lock). Sends stream-start, caps and segment before the first buffer of a
// stream (again after the pad was deactivated). An unlinked pad (GST_FLOW_NOT_LINKED) is the
// normal case of a pipeline without an `asr → agent` link and is not an error; neither is
// a flushing pad (the element is stopping). Returns the flow of the push.
GstFlowReturn push_transcript(GstElement* element, GstPad* pad, const GstStructure* result);
// Ends the stream on the transcript source pad (after the ASR's last results).
void push_transcript_eos(GstElement* element, GstPad* pad);

struct TranscriptWord {
  std::string word;
  double start = 0;
  double end = 0;
  double confidence = 0;
  std::optional<std::string> punctuated;
};

// One result read back from a transcript buffer: the schema's fields by name.
struct TranscriptResult {
  enum class Kind { kTranscript, kSpeechStarted, kUtteranceEnd, kOther };
  Kind kind = Kind::kOther;
  std::string type;    // the structure name, e.g. "mediaflow-transcript"
  std::string vendor;
  // mediaflow-transcript
  std::string text;
  bool is_final = false;
  bool end_of_utterance = false;
  double start = 0;
  double duration = 0;
  double confidence = 0;
  int channel = 0;
  std::vector<TranscriptWord> words;
  // mediaflow-speech-started
  double timestamp = 0;
  // mediaflow-utterance-end
  double last_word_end = 0;
};

// Parses one transcript buffer; nullopt when it is not a JSON object with a `type`.
std::optional<TranscriptResult> parse_transcript_buffer(GstBuffer* buffer);

}  // namespace mediaflow::gstutil
