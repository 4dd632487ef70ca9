// MediaflowIngestSrc: the base class of a transport's ingest element (twiliosrc, jambonzsrc).
// One instance emits one track of the call ("inbound": the caller; "outbound": what the far end
// played, on transports that send it) in the call's format (AudioFormat, set by the host before
// PLAYING; the subclass's pad template says what it can be).
//
// Live (the host's calls): no thread. The host pushes from its loop, inline:
//   push-media (GstBuffer*, guint64 timestamp_ms) → GstFlowReturn   (buffer not taken over)
//   push-mark (gchar* name), push-dtmf (gchar* digit), end-of-stream ()
// — action signals for tools and tests, the C++ functions below for the host.
// Offline (a subclass that replays a file, e.g. twiliosrc location=…): the subclass's
// replay_step() runs on the pad's task until it returns anything but GST_FLOW_OK.
//
// Timing: PTS counts samples from the stream's start. A timestamped push that starts later
// than the end of the previous one has the gap filled with silence (up to 10 minutes; beyond,
// a DISCONT), one that overlaps has its overlap trimmed (dropped when wholly in the past): time
// never runs backwards and sample N is always at N/rate s. Pushes without a timestamp follow on.
// Marks and DTMF are posted as element messages named by the class (mark_message,
// dtmf_message), for the host: a mark with `name` (it belongs to the stream), DTMF with
// `digit` and `track`. A mark echo also goes down the src pad, in-band at that point of the
// audio, as the serialized `mediaflow-mark-echo` event (gstutil/custom_events.hpp): that is
// what agents read to know what the caller heard; elements never read the bus.
#pragma once

#include <mediaflow/transport/audio_format.hpp>

#include <gst/gst.h>

#include <cstdint>
#include <optional>

G_BEGIN_DECLS

typedef enum {
  MEDIAFLOW_TRACK_INBOUND = 0,
  MEDIAFLOW_TRACK_OUTBOUND = 1,
} MediaflowTrack;

#define MEDIAFLOW_TYPE_TRACK (mediaflow_track_get_type())
GType mediaflow_track_get_type(void);

#define MEDIAFLOW_TYPE_INGEST_SRC (mediaflow_ingest_src_get_type())
G_DECLARE_DERIVABLE_TYPE(MediaflowIngestSrc, mediaflow_ingest_src, MEDIAFLOW, INGEST_SRC, GstElement)

struct _MediaflowIngestSrcClass {
  GstElementClass parent_class;
  // Element message names (the host writes them to transcript.jsonl and call events).
  const char* mark_message;
  const char* dtmf_message;
  // Offline mode, optional. prepare_offline(): going to PAUSED; TRUE = replay (then
  // replay_step() runs on the task), FALSE with *failed unset = live, FALSE with *failed = error.
  gboolean (*prepare_offline)(MediaflowIngestSrc* self, gboolean* failed);
  GstFlowReturn (*replay_step)(MediaflowIngestSrc* self);
  void (*stop_offline)(MediaflowIngestSrc* self);
  gpointer padding[8];
};

G_END_DECLS

namespace mediaflow::transport {

// The host's side (loop thread). The format applies from the next start; set it in NULL/READY.
void ingest_set_format(MediaflowIngestSrc* src, const AudioFormat& format);
AudioFormat ingest_format(MediaflowIngestSrc* src);
MediaflowTrack ingest_track(MediaflowIngestSrc* src);
// Live pushes; the buffer is not taken over.
GstFlowReturn ingest_push_audio(MediaflowIngestSrc* src, GstBuffer* buffer, std::optional<std::uint64_t> timestamp_ms);
void ingest_push_mark(MediaflowIngestSrc* src, const char* name);
void ingest_push_dtmf(MediaflowIngestSrc* src, const char* digit);
void ingest_end_of_stream(MediaflowIngestSrc* src);

// The name a message carries when it is a transport's mark echo ("twilio-mark",
// "jambonz-mark": the audio before the mark was played, or cleared); null otherwise. For the
// host (events, transcript.jsonl); elements read the `mediaflow-mark-echo` event instead.
const char* mark_echo_name(GstMessage* message);

// For subclasses' replay_step() (the pad's task holds the stream lock): the buffer is taken.
GstFlowReturn ingest_replay_audio(MediaflowIngestSrc* src, GstBuffer* buffer, std::optional<std::uint64_t> timestamp_ms);
void ingest_post_mark(MediaflowIngestSrc* src, const char* name);
void ingest_post_dtmf(MediaflowIngestSrc* src, const char* digit);

}  // namespace mediaflow::transport
