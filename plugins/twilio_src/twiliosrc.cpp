/**
 * SECTION:element-twiliosrc
 * @title: twiliosrc
 *
 * Produces the audio of one track of a Twilio Media Stream as `audio/x-mulaw, rate=8000,
 * channels=1`.
 *
 * Two modes, chosen when going to PAUSED:
 * - **offline** (`location` set): replays a capture file — one Twilio JSON message per line,
 *   exactly as Twilio sends them (`wav2capture` writes such files) — on its own streaming
 *   task, then EOS (at the `stop` message or the end of the file). Malformed lines are
 *   skipped with a GST_ELEMENT_WARNING naming the line number.
 * - **live** (`location` unset): the Twilio transport's ingest (MediaflowIngestSrc,
 *   mediaflow/transport/ingest_src.hpp): a live source (NO_PREROLL) without any thread. The
 *   host pushes from its loop thread, inline; the action signals of the base class do the same
 *   for tools and tests: `push-media (GstBuffer *mulaw, guint64 timestamp_ms) → GstFlowReturn`
 *   (the buffer is not taken over), `push-dtmf (gchar *digit)`, `push-mark (gchar *name)`,
 *   `end-of-stream ()`.
 *
 * Timing (the base class's): PTS comes from `media.timestamp` (ms since stream start), OFFSET
 * counts samples. Output time stays true: audio before the first timestamp and every gap (a
 * timestamp beyond the end of the previous buffer, e.g. lost messages) is filled with mu-law
 * silence (0xFF), so sample N of the output is always at N/8000 s of the stream. A deviation
 * of up to 1 ms (the timestamp resolution) is treated as contiguous. A buffer that starts
 * earlier than the end of the previous one (overlap, reordering, duplicate) has its
 * overlapping start dropped, and is dropped whole when entirely in the past, so time never
 * runs backwards. A gap longer than 10 minutes is not filled (a corrupt timestamp must not
 * allocate hours of silence): the next buffer is marked DISCONT at its true PTS instead.
 *
 * Element messages posted:
 * - `twilio-dtmf`: `digit` (string), `track` (string, "inbound"/"outbound") — offline: the
 *   capture's dtmf messages whose track matches `track`; live: each `push-dtmf`.
 * - `twilio-mark`: `name` (string): Twilio echoed a mark we sent (the audio before it has
 *   played, or was cleared) — offline: posted by the `inbound` source only; live: each
 *   `push-mark`.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 twiliosrc location=call.jsonl ! mulawdec ! audioresample ! \
 *     audio/x-raw,rate=16000 ! wavenc ! filesink location=call.wav
 * ]|
 */
#include "twiliosrc.h"

#include <mediaflow/protocol/redact.hpp>
#include <mediaflow/protocol/twilio_envelope.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace twilio = mediaflow::protocol::twilio;
namespace transport = mediaflow::transport;

GST_DEBUG_CATEGORY_STATIC(gst_twilio_src_debug);
#define GST_CAT_DEFAULT gst_twilio_src_debug

namespace {

enum { PROP_0, PROP_LOCATION };

// "inbound_track" (dtmf), "inbound" (media) → "inbound"; empty means inbound.
std::string_view normalize_track(std::string_view t) {
  constexpr std::string_view kSuffix = "_track";
  if (t.size() > kSuffix.size() && t.substr(t.size() - kSuffix.size()) == kSuffix) t.remove_suffix(kSuffix.size());
  return t.empty() ? std::string_view("inbound") : t;
}

const char* track_name(MediaflowTrack t) { return t == MEDIAFLOW_TRACK_OUTBOUND ? "outbound" : "inbound"; }

GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS("audio/x-mulaw, rate = (int) 8000, channels = (int) 1"));

// The replay of a capture file; guarded by the src pad's stream lock (the task's).
struct Replay {
  std::FILE* file = nullptr;
  char* line = nullptr;
  size_t line_capacity = 0;
  guint64 line_no = 0;
  std::optional<guint64> last_sequence;
  MediaflowTrack track = MEDIAFLOW_TRACK_INBOUND;
  twilio::TwilioEnvelopeParser parser;

  void close() {
    if (file) std::fclose(file);
    file = nullptr;
    line_no = 0;
    last_sequence.reset();
  }
};

}  // namespace

struct _GstTwilioSrc {
  MediaflowIngestSrc parent;
  gchar* location;  // under GST_OBJECT_LOCK
  Replay* replay;
};

#define gst_twilio_src_parent_class parent_class
G_DEFINE_TYPE(GstTwilioSrc, gst_twilio_src, MEDIAFLOW_TYPE_INGEST_SRC)
GST_ELEMENT_REGISTER_DEFINE(twiliosrc, "twiliosrc", GST_RANK_NONE, GST_TYPE_TWILIO_SRC)

namespace {

GstFlowReturn replay_line(GstTwilioSrc* self, std::string_view line) {
  Replay* r = self->replay;
  auto* base = MEDIAFLOW_INGEST_SRC(self);
  const twilio::InboundMessage msg = r->parser.parse(line);
  if (msg.sequence_number) {
    if (r->last_sequence && *msg.sequence_number != *r->last_sequence + 1)
      GST_DEBUG_OBJECT(self, "line %" G_GUINT64_FORMAT ": sequence gap %" G_GUINT64_FORMAT " → %" G_GUINT64_FORMAT,
                       r->line_no, *r->last_sequence, *msg.sequence_number);
    r->last_sequence = msg.sequence_number;
  }
  switch (msg.kind) {
    case twilio::EventKind::kMalformed:
      GST_ELEMENT_WARNING(self, STREAM, DECODE, ("Malformed Twilio message skipped"),
                          ("line %" G_GUINT64_FORMAT ": %s", r->line_no, msg.error));
      return GST_FLOW_OK;
    case twilio::EventKind::kMedia: {
      if (normalize_track(msg.media.track) != track_name(r->track)) return GST_FLOW_OK;
      const std::string_view b64 = msg.media.payload_base64;
      GstBuffer* buffer = gst_buffer_new_allocate(nullptr, twilio::base64_decoded_max(b64.size()), nullptr);
      GstMapInfo map;
      gst_buffer_map(buffer, &map, GST_MAP_WRITE);
      const auto n = twilio::decode_base64(b64, {map.data, map.size});
      gst_buffer_unmap(buffer, &map);
      if (!n) {
        gst_buffer_unref(buffer);
        GST_ELEMENT_WARNING(self, STREAM, DECODE, ("Malformed Twilio message skipped"),
                            ("line %" G_GUINT64_FORMAT ": media.payload is not valid base64", r->line_no));
        return GST_FLOW_OK;
      }
      gst_buffer_set_size(buffer, static_cast<gssize>(*n));
      return transport::ingest_replay_audio(base, buffer, msg.media.timestamp_ms);
    }
    case twilio::EventKind::kDtmf:
      if (normalize_track(msg.dtmf.track) == track_name(r->track))
        transport::ingest_post_dtmf(base, std::string(msg.dtmf.digit).c_str());
      return GST_FLOW_OK;
    case twilio::EventKind::kMark:
      // A mark belongs to the stream: posted by the inbound source only.
      if (r->track == MEDIAFLOW_TRACK_INBOUND) transport::ingest_post_mark(base, std::string(msg.mark).c_str());
      return GST_FLOW_OK;
    case twilio::EventKind::kStart:
      GST_INFO_OBJECT(self, "stream start, call %s, tracks %zu", mediaflow::protocol::redact_sid(msg.start.call_sid).c_str(),
                      msg.start.tracks.size());
      return GST_FLOW_OK;
    case twilio::EventKind::kStop:
      return GST_FLOW_EOS;
    case twilio::EventKind::kConnected:
    case twilio::EventKind::kUnknown:
      GST_DEBUG_OBJECT(self, "line %" G_GUINT64_FORMAT ": '%s' ignored", r->line_no, twilio::event_kind_name(msg.kind));
      return GST_FLOW_OK;
  }
  return GST_FLOW_OK;
}

}  // namespace

static gboolean gst_twilio_src_prepare_offline(MediaflowIngestSrc* base, gboolean* failed) {
  auto* self = GST_TWILIO_SRC(base);
  GST_OBJECT_LOCK(self);
  const std::string location = self->location ? self->location : "";
  GST_OBJECT_UNLOCK(self);
  self->replay->close();
  if (location.empty()) return FALSE;  // live
  self->replay->track = transport::ingest_track(base);
  self->replay->file = std::fopen(location.c_str(), "rb");
  if (!self->replay->file) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("Could not open capture file \"%s\" for reading.", location.c_str()),
                      ("%s", g_strerror(errno)));
    *failed = TRUE;
    return FALSE;
  }
  return TRUE;
}

static GstFlowReturn gst_twilio_src_replay_step(MediaflowIngestSrc* base) {
  auto* self = GST_TWILIO_SRC(base);
  Replay* r = self->replay;
  const ssize_t len = getline(&r->line, &r->line_capacity, r->file);
  if (len < 0) {
    if (!std::ferror(r->file)) return GST_FLOW_EOS;
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not read the capture file"), ("%s", g_strerror(errno)));
    return GST_FLOW_ERROR;
  }
  ++r->line_no;
  std::string_view line(r->line, static_cast<size_t>(len));
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line.empty() ? GST_FLOW_OK : replay_line(self, line);
}

static void gst_twilio_src_stop_offline(MediaflowIngestSrc* base) { GST_TWILIO_SRC(base)->replay->close(); }

static void gst_twilio_src_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_TWILIO_SRC(object);
  switch (prop_id) {
    case PROP_LOCATION:
      GST_OBJECT_LOCK(self);
      g_free(self->location);
      self->location = g_value_dup_string(value);
      GST_OBJECT_UNLOCK(self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void gst_twilio_src_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_TWILIO_SRC(object);
  switch (prop_id) {
    case PROP_LOCATION:
      GST_OBJECT_LOCK(self);
      g_value_set_string(value, self->location);
      GST_OBJECT_UNLOCK(self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void gst_twilio_src_finalize(GObject* object) {
  auto* self = GST_TWILIO_SRC(object);
  self->replay->close();
  free(self->replay->line);  // allocated by getline()
  delete self->replay;
  g_free(self->location);
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_twilio_src_init(GstTwilioSrc* self) {
  self->replay = new Replay();
  self->location = nullptr;
}

static void gst_twilio_src_class_init(GstTwilioSrcClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* ingest_class = MEDIAFLOW_INGEST_SRC_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(gst_twilio_src_debug, "twiliosrc", 0, "Twilio Media Streams source");

  gobject_class->set_property = gst_twilio_src_set_property;
  gobject_class->get_property = gst_twilio_src_get_property;
  gobject_class->finalize = gst_twilio_src_finalize;
  ingest_class->mark_message = "twilio-mark";
  ingest_class->dtmf_message = "twilio-dtmf";
  ingest_class->prepare_offline = gst_twilio_src_prepare_offline;
  ingest_class->replay_step = gst_twilio_src_replay_step;
  ingest_class->stop_offline = gst_twilio_src_stop_offline;

  /**
   * GstTwilioSrc:location:
   * A capture file to replay (one Twilio JSON message per line). Unset: live, fed by the host.
   */
  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Capture file", "Twilio capture (JSONL) to replay; unset = live, fed by the host",
                          nullptr,
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));

  // The base class's "src" pad is made from this template (its caps: what this element emits).
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Twilio Media Streams source", "Source/Audio/Network",
      "Caller audio of a Twilio Media Stream: live (pushed by the host) or replayed from a capture file",
      "mediaflow");
}
