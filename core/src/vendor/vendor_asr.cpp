#include <mediaflow/vendor/vendor_asr.hpp>

#include <mediaflow/gstutil/loop_context.hpp>
#include <mediaflow/gstutil/transcript_stream.hpp>

#include <algorithm>
#include <memory>
#include <new>

GST_DEBUG_CATEGORY_STATIC(mediaflow_vendor_asr_debug);
#define GST_CAT_DEFAULT mediaflow_vendor_asr_debug

namespace {

namespace vendor = mediaflow::vendor;
using mediaflow::transport::AudioFormat;

constexpr guint kDefaultChunkMs = 100;  // the pspec's; each vendor sets its own on new elements
constexpr guint kDefaultKeepaliveMs = 4000;
constexpr guint kDefaultReconnectBufferS = 10;
constexpr guint kDefaultMaxReconnects = 5;
constexpr guint kDefaultFinalizeTimeoutMs = 5000;
constexpr MediaflowOnFailure kDefaultOnFailure = MEDIAFLOW_ON_FAILURE_CONTINUE;

enum {
  PROP_0,
  PROP_API_KEY,
  PROP_URL,
  PROP_CHUNK_MS,
  PROP_ON_FAILURE,
  PROP_KEEPALIVE_INTERVAL,
  PROP_RECONNECT_BUFFER,
  PROP_MAX_RECONNECTS,
  PROP_FINALIZE_TIMEOUT,
  PROP_STALL_TIMEOUT,
};

// What properties set (GST_OBJECT_LOCK).
struct Settings {
  std::string api_key;  // empty: the vendor's environment variable
  std::string url;      // empty: the vendor's environment variable, else its endpoint
  guint chunk_ms = kDefaultChunkMs;
  MediaflowOnFailure on_failure = kDefaultOnFailure;
  guint keepalive_ms = kDefaultKeepaliveMs;
  guint reconnect_buffer_s = kDefaultReconnectBufferS;
  guint max_reconnects = kDefaultMaxReconnects;
  guint finalize_timeout_ms = kDefaultFinalizeTimeoutMs;
  guint stall_timeout_ms = 0;
};

// What exists only between start() and stop().
struct Running {
  std::unique_ptr<mediaflow::gstutil::LoopContext> loop;
  std::shared_ptr<vendor::StreamingSession> session;
  AudioFormat format;
  bool negotiated = false;
  bool disabled = false;  // failed before connecting (no key): audio is accepted and dropped
  MediaflowOnFailure on_failure = kDefaultOnFailure;
  // EOS hand-shake with the session (guarded by `lock`).
  GMutex lock;
  GCond cond;
  bool finished = false;
  bool flushing = false;
  GstEvent* held_eos = nullptr;  // call loop thread: EOS posted when the session finishes
  Running() {
    g_mutex_init(&lock);
    g_cond_init(&cond);
  }
  ~Running() {
    if (held_eos) gst_event_unref(held_eos);
    g_cond_clear(&cond);
    g_mutex_clear(&lock);
  }
};

struct Private {
  Settings settings;
  GstPad* transcript_pad = nullptr;  // the always `transcript` source pad (owned by the element)
  Running* running = nullptr;  // created in start(), used from the streaming thread and the loop
};

}  // namespace

// G_ADD_PRIVATE sizes the instance private area by <Type>Private.
using MediaflowVendorAsrPrivate = Private;

G_DEFINE_ABSTRACT_TYPE_WITH_CODE(MediaflowVendorAsr, mediaflow_vendor_asr, GST_TYPE_BASE_SINK,
                                 G_ADD_PRIVATE(MediaflowVendorAsr)
                                 GST_DEBUG_CATEGORY_INIT(mediaflow_vendor_asr_debug, "mediaflowvendorasr", 0,
                                                         "mediaflow streaming ASR vendor base class"))

GType mediaflow_on_failure_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {MEDIAFLOW_ON_FAILURE_CLOSE_CALL, "Post an error: the host ends the call", "close-call"},
      {MEDIAFLOW_ON_FAILURE_CONTINUE, "Post a warning and drop the audio: the call goes on", "continue"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("MediaflowOnFailure", values));
  return type;
}

namespace {

Private* priv(MediaflowVendorAsr* self) {
  return static_cast<Private*>(mediaflow_vendor_asr_get_instance_private(self));
}

const vendor::AsrVendorInfo& info_of(MediaflowVendorAsr* self) {
  return *MEDIAFLOW_VENDOR_ASR_GET_CLASS(self)->vendor;
}

GstStructure* word_structure(const vendor::Word& w, double offset) {
  GstStructure* s = gst_structure_new("word", "word", G_TYPE_STRING, w.word.c_str(), "start", G_TYPE_DOUBLE,
                                      offset + w.start, "end", G_TYPE_DOUBLE, offset + w.end, "confidence",
                                      G_TYPE_DOUBLE, w.confidence, nullptr);
  if (w.punctuated) gst_structure_set(s, "punctuated", G_TYPE_STRING, w.punctuated->c_str(), nullptr);
  return s;
}

GstStructure* transcript_structure(const char* vendor_name, const vendor::Transcript& t, double offset) {
  GstStructure* s = gst_structure_new(
      "mediaflow-transcript", "vendor", G_TYPE_STRING, vendor_name, "text", G_TYPE_STRING, t.text.c_str(),
      "is-final", G_TYPE_BOOLEAN, t.is_final, "end-of-utterance", G_TYPE_BOOLEAN, t.end_of_utterance, "start",
      G_TYPE_DOUBLE, offset + t.start, "duration", G_TYPE_DOUBLE, t.duration, "confidence", G_TYPE_DOUBLE,
      t.confidence, nullptr);
  if (!t.words.empty()) {
    GValue list = G_VALUE_INIT;
    g_value_init(&list, GST_TYPE_LIST);
    for (const auto& w : t.words) {
      GValue item = G_VALUE_INIT;
      g_value_init(&item, GST_TYPE_STRUCTURE);
      g_value_take_boxed(&item, word_structure(w, offset));
      gst_value_list_append_and_take_value(&list, &item);
    }
    gst_structure_take_value(s, "words", &list);
  }
  gst_structure_set(s, "channel", G_TYPE_INT, t.channel, nullptr);
  return s;
}

void post(MediaflowVendorAsr* self, GstStructure* s) {
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

// A result of the transcript schema: downstream on the `transcript` pad (for the elements the
// pipeline links to it), then to the bus (for the host). Takes `s`.
void report(MediaflowVendorAsr* self, GstStructure* s) {
  mediaflow::gstutil::push_transcript(GST_ELEMENT(self), priv(self)->transcript_pad, s);
  post(self, s);
}

// EOS to the base class (which posts it once every sink is done), after ending the transcript
// stream: the last results went out before it.
gboolean forward_eos(MediaflowVendorAsr* self, GstEvent* eos) {
  mediaflow::gstutil::push_transcript_eos(GST_ELEMENT(self), priv(self)->transcript_pad);
  return GST_BASE_SINK_CLASS(mediaflow_vendor_asr_parent_class)->event(GST_BASE_SINK(self), eos);
}

// On the loop: posts what the vendor said, in call time, and tells the session what it means.
vendor::MessageEffect handle_result(MediaflowVendorAsr* self, const vendor::AsrResult& result, double offset) {
  const char* name = info_of(self).name.c_str();
  vendor::MessageEffect effect;
  if (const auto* t = std::get_if<vendor::Transcript>(&result)) {
    report(self, transcript_structure(name, *t, offset));
    effect.healthy = true;
    if (t->is_final) effect.confirms_until_s = t->start + t->duration;
  } else if (const auto* s = std::get_if<vendor::SpeechStarted>(&result)) {
    report(self, gst_structure_new("mediaflow-speech-started", "vendor", G_TYPE_STRING, name, "timestamp",
                                 G_TYPE_DOUBLE, offset + s->timestamp, nullptr));
  } else if (const auto* u = std::get_if<vendor::UtteranceEnd>(&result)) {
    report(self, gst_structure_new("mediaflow-utterance-end", "vendor", G_TYPE_STRING, name, "last-word-end",
                                 G_TYPE_DOUBLE, offset + u->last_word_end, nullptr));
  } else if (const auto* e = std::get_if<vendor::VendorError>(&result)) {
    // The vendor's own error text: no audio, no transcript. A close, if any, decides.
    GST_WARNING_OBJECT(self, "vendor error: %s", e->description.c_str());
  } else if (std::holds_alternative<vendor::Finished>(result)) {
    effect.finished = true;
  } else if (const auto* i = std::get_if<vendor::Ignore>(&result)) {
    GST_DEBUG_OBJECT(self, "ignoring %s", i->note.c_str());
  }
  return effect;
}

// The vendor cannot be used for this call: a warning or an error, as on-failure says.
void report_failure(MediaflowVendorAsr* self, MediaflowOnFailure policy, GstResourceError code, const std::string& text,
                    const std::string& detail) {
  const bool fatal = policy == MEDIAFLOW_ON_FAILURE_CLOSE_CALL;
  const std::string debug = detail + (fatal ? " (on-failure=close-call: the call ends)"
                                            : " (on-failure=continue: the call goes on without transcription)");
  gst_element_message_full(GST_ELEMENT(self), fatal ? GST_MESSAGE_ERROR : GST_MESSAGE_WARNING, GST_RESOURCE_ERROR,
                           code, g_strdup(text.c_str()), g_strdup(debug.c_str()), __FILE__, GST_FUNCTION, __LINE__);
}

// Called on the loop context when the session has finished after EOS.
void session_finished(MediaflowVendorAsr* self) {
  Running* run = priv(self)->running;
  if (!run) return;
  g_mutex_lock(&run->lock);
  run->finished = true;
  GstEvent* eos = run->held_eos;
  run->held_eos = nullptr;
  g_cond_broadcast(&run->cond);
  g_mutex_unlock(&run->lock);
  if (eos) {
    GST_DEBUG_OBJECT(self, "final results in, posting the held EOS");
    forward_eos(self, eos);
  }
}

std::string setting_or_env(const std::string& value, const std::string& env) {
  if (!value.empty()) return value;
  const char* e = env.empty() ? nullptr : g_getenv(env.c_str());
  return e ? e : "";
}

// Whole sample frames covering `ms` (rounded up, as a vendor's minimum needs).
std::size_t bytes_for_ms(const AudioFormat& f, unsigned ms) {
  return (std::size_t(f.rate) * ms + 999) / 1000 * std::size_t(f.bytes_per_frame());
}

std::size_t bytes_per_second(const AudioFormat& f) { return std::size_t(f.rate) * std::size_t(f.bytes_per_frame()); }

}  // namespace

static gboolean mediaflow_vendor_asr_start(GstBaseSink* sink) {
  auto* self = MEDIAFLOW_VENDOR_ASR(sink);
  auto* run = new Running();
  GstElementFactory* factory = gst_element_get_factory(GST_ELEMENT(self));
  run->loop = std::make_unique<mediaflow::gstutil::LoopContext>(factory ? GST_OBJECT_NAME(factory) : "vendorasr");
  GST_DEBUG_OBJECT(self, "network work on %s", run->loop->has_own_thread() ? "a private thread" : "the caller's loop");
  GST_OBJECT_LOCK(self);
  priv(self)->running = run;
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static gboolean mediaflow_vendor_asr_stop(GstBaseSink* sink) {
  auto* self = MEDIAFLOW_VENDOR_ASR(sink);
  GST_OBJECT_LOCK(self);
  Running* run = priv(self)->running;
  GST_OBJECT_UNLOCK(self);
  if (!run) return TRUE;
  if (run->session) {
    // Runs now on the loop thread; otherwise queued (the session keeps itself and us alive).
    run->loop->invoke([s = run->session] { s->shutdown(); });
    run->session.reset();
  }
  run->loop.reset();  // a private thread runs the shutdown above, then is joined
  GST_OBJECT_LOCK(self);
  priv(self)->running = nullptr;
  GST_OBJECT_UNLOCK(self);
  delete run;
  return TRUE;
}

static gboolean mediaflow_vendor_asr_set_caps(GstBaseSink* sink, GstCaps* caps) {
  auto* self = MEDIAFLOW_VENDOR_ASR(sink);
  auto* klass = MEDIAFLOW_VENDOR_ASR_GET_CLASS(self);
  const vendor::AsrVendorInfo& info = *klass->vendor;
  Running* run = priv(self)->running;
  GstStructure* st = gst_caps_get_structure(caps, 0);
  AudioFormat format;
  format.encoding = gst_structure_has_name(st, "audio/x-mulaw") ? AudioFormat::Encoding::kMulaw : AudioFormat::Encoding::kS16le;
  gst_structure_get_int(st, "rate", &format.rate);
  gst_structure_get_int(st, "channels", &format.channels);
  if (run->negotiated) {
    if (format == run->format) return TRUE;
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Audio format changed mid-stream"),
                      ("a %s stream keeps the encoding and rate it was opened with", info.display_name.c_str()));
    return FALSE;
  }
  run->negotiated = true;
  run->format = format;

  vendor::ConnectionRequest request;
  vendor::SessionConfig config;
  GST_OBJECT_LOCK(self);
  const Settings& settings = priv(self)->settings;
  request.url = setting_or_env(settings.url, info.url_env);
  if (request.url.empty()) request.url = info.default_url;
  request.api_key = setting_or_env(settings.api_key, info.api_key_env);
  const unsigned chunk_ms = std::clamp(settings.chunk_ms, info.chunk_ms_min, info.chunk_ms_max);
  if (chunk_ms != settings.chunk_ms)
    GST_WARNING_OBJECT(self, "chunk-ms %u is outside what %s takes: %u", settings.chunk_ms, info.display_name.c_str(),
                       chunk_ms);
  config.keepalive_ms = settings.keepalive_ms;
  config.max_reconnects = settings.max_reconnects;
  config.finalize_timeout_ms = settings.finalize_timeout_ms;
  config.stall_timeout_ms = settings.stall_timeout_ms;
  config.backlog_bytes = bytes_per_second(format) * settings.reconnect_buffer_s;
  run->on_failure = settings.on_failure;
  GST_OBJECT_UNLOCK(self);
  request.format = format;

  if (request.api_key.empty()) {
    report_failure(self, run->on_failure, GST_RESOURCE_ERROR_SETTINGS,
                   "No " + info.display_name + " API key: transcription is off for this call",
                   "set the api-key property or " + info.api_key_env);
    run->disabled = true;
    return TRUE;
  }

  vendor::Connection connection = klass->connection(self, request);
  config.url = std::move(connection.url);
  config.headers = std::move(connection.headers);
  config.vendor_name = info.display_name;
  config.error_header = info.error_header;
  config.keepalive_message = info.keepalive_message;
  config.finalize_message = info.finalize_message;
  vendor::AudioFraming& framing = config.framing;
  framing.bytes_per_second = bytes_per_second(format);
  framing.frame_bytes = std::size_t(format.bytes_per_frame());
  framing.silence = format.silence_byte();
  framing.min_message_bytes = bytes_for_ms(format, chunk_ms);
  framing.max_message_bytes = bytes_for_ms(format, std::max(chunk_ms, info.max_message_ms));
  framing.min_last_message_bytes = bytes_for_ms(format, info.min_message_ms);
  framing.real_time = info.real_time;
  GST_DEBUG_OBJECT(self, "%s, %u ms per message", format.caps().c_str(), chunk_ms);

  vendor::SessionEvents events;
  events.owner = std::shared_ptr<void>(gst_object_ref(self), gst_object_unref);
  events.message = [self](std::string_view text, double offset) {
    return handle_result(self, MEDIAFLOW_VENDOR_ASR_GET_CLASS(self)->parse_message(self, text), offset);
  };
  if (klass->close_verdict) events.closed = [verdict = klass->close_verdict](std::uint16_t code) { return verdict(code); };
  events.reconnecting = [self] {
    GST_INFO_OBJECT(self, "reconnecting to %s", info_of(self).display_name.c_str());
    post(self, gst_structure_new("mediaflow-vendor-reconnect", "vendor", G_TYPE_STRING, info_of(self).name.c_str(),
                                 nullptr));
  };
  events.failed = [self, policy = run->on_failure](const std::string& why) {
    report_failure(self, policy, GST_RESOURCE_ERROR_OPEN_READ, "Speech recognition unavailable: " + why,
                   "the vendor cannot be used for the rest of this call");
  };
  events.finished = [self] { session_finished(self); };
  run->session = vendor::StreamingSession::create(std::move(config), std::move(events));
  run->loop->invoke([s = run->session] { s->start(); });
  return TRUE;
}

static GstFlowReturn mediaflow_vendor_asr_render(GstBaseSink* sink, GstBuffer* buffer) {
  auto* self = MEDIAFLOW_VENDOR_ASR(sink);
  Running* run = priv(self)->running;
  if (run->disabled) return GST_FLOW_OK;
  if (!run->session) return GST_FLOW_NOT_NEGOTIATED;
  guint64 call_time = GST_CLOCK_TIME_NONE;
  if (GST_BUFFER_PTS_IS_VALID(buffer))
    call_time = gst_segment_to_running_time(&sink->segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
  if (!GST_CLOCK_TIME_IS_VALID(call_time)) call_time = run->session->end_time();
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return GST_FLOW_ERROR;
  const bool schedule = run->session->push_audio(map.data, map.size, call_time);
  gst_buffer_unmap(buffer, &map);
  if (schedule) run->loop->invoke([s = run->session] { s->flush(); });
  return GST_FLOW_OK;
}

static gboolean mediaflow_vendor_asr_event(GstBaseSink* sink, GstEvent* event) {
  auto* self = MEDIAFLOW_VENDOR_ASR(sink);
  Running* run = priv(self)->running;
  if (GST_EVENT_TYPE(event) != GST_EVENT_EOS) return GST_BASE_SINK_CLASS(mediaflow_vendor_asr_parent_class)->event(sink, event);
  if (!run || !run->session) return forward_eos(self, event);

  // A streaming thread may wait; the session's own bound ends it, the extra second only
  // covers a loop that stopped turning.
  const gint64 bound_us = (gint64(run->session->finish_bound_ms()) + 1000) * 1000;
  g_mutex_lock(&run->lock);
  run->finished = false;
  const bool on_loop = run->loop->is_current();
  if (on_loop) run->held_eos = event;  // posted by session_finished(), maybe right below
  g_mutex_unlock(&run->lock);
  run->loop->invoke([s = run->session] { s->finish(); });
  if (on_loop) return TRUE;

  const gint64 deadline = g_get_monotonic_time() + bound_us;
  g_mutex_lock(&run->lock);
  while (!run->finished && !run->flushing)
    if (!g_cond_wait_until(&run->cond, &run->lock, deadline)) break;
  const bool flushing = run->flushing;
  g_mutex_unlock(&run->lock);
  if (flushing) {
    gst_event_unref(event);
    return FALSE;
  }
  return forward_eos(self, event);
}

static gboolean mediaflow_vendor_asr_unlock(GstBaseSink* sink) {
  Running* run = priv(MEDIAFLOW_VENDOR_ASR(sink))->running;
  if (!run) return TRUE;
  g_mutex_lock(&run->lock);
  run->flushing = true;
  g_cond_broadcast(&run->cond);
  g_mutex_unlock(&run->lock);
  return TRUE;
}

static gboolean mediaflow_vendor_asr_unlock_stop(GstBaseSink* sink) {
  Running* run = priv(MEDIAFLOW_VENDOR_ASR(sink))->running;
  if (!run) return TRUE;
  g_mutex_lock(&run->lock);
  run->flushing = false;
  g_mutex_unlock(&run->lock);
  return TRUE;
}

static void mediaflow_vendor_asr_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* self = MEDIAFLOW_VENDOR_ASR(object);
  Settings& s = priv(self)->settings;
  const auto string_of = [value] { return std::string(g_value_get_string(value) ? g_value_get_string(value) : ""); };
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_API_KEY: s.api_key = string_of(); break;
    case PROP_URL: s.url = string_of(); break;
    case PROP_CHUNK_MS: s.chunk_ms = g_value_get_uint(value); break;
    case PROP_ON_FAILURE: s.on_failure = static_cast<MediaflowOnFailure>(g_value_get_enum(value)); break;
    case PROP_KEEPALIVE_INTERVAL: s.keepalive_ms = g_value_get_uint(value); break;
    case PROP_RECONNECT_BUFFER: s.reconnect_buffer_s = g_value_get_uint(value); break;
    case PROP_MAX_RECONNECTS: s.max_reconnects = g_value_get_uint(value); break;
    case PROP_FINALIZE_TIMEOUT: s.finalize_timeout_ms = g_value_get_uint(value); break;
    case PROP_STALL_TIMEOUT: s.stall_timeout_ms = g_value_get_uint(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void mediaflow_vendor_asr_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* self = MEDIAFLOW_VENDOR_ASR(object);
  const Settings& s = priv(self)->settings;
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_URL: g_value_set_string(value, s.url.empty() ? nullptr : s.url.c_str()); break;
    case PROP_CHUNK_MS: g_value_set_uint(value, s.chunk_ms); break;
    case PROP_ON_FAILURE: g_value_set_enum(value, s.on_failure); break;
    case PROP_KEEPALIVE_INTERVAL: g_value_set_uint(value, s.keepalive_ms); break;
    case PROP_RECONNECT_BUFFER: g_value_set_uint(value, s.reconnect_buffer_s); break;
    case PROP_MAX_RECONNECTS: g_value_set_uint(value, s.max_reconnects); break;
    case PROP_FINALIZE_TIMEOUT: g_value_set_uint(value, s.finalize_timeout_ms); break;
    case PROP_STALL_TIMEOUT: g_value_set_uint(value, s.stall_timeout_ms); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

// After every instance_init, with the class of the element being made: the vendor's defaults.
static void mediaflow_vendor_asr_constructed(GObject* object) {
  auto* self = MEDIAFLOW_VENDOR_ASR(object);
  if (const vendor::AsrVendorInfo* info = MEDIAFLOW_VENDOR_ASR_GET_CLASS(self)->vendor) {
    priv(self)->settings.chunk_ms = info->chunk_ms_default;
    priv(self)->settings.stall_timeout_ms = info->stall_timeout_ms;
  }
  G_OBJECT_CLASS(mediaflow_vendor_asr_parent_class)->constructed(object);
}

static void mediaflow_vendor_asr_finalize(GObject* object) {
  priv(MEDIAFLOW_VENDOR_ASR(object))->~Private();
  G_OBJECT_CLASS(mediaflow_vendor_asr_parent_class)->finalize(object);
}

static void mediaflow_vendor_asr_init(MediaflowVendorAsr* self) {
  // The instance private area is raw memory: construct the C++ object in it ourselves.
  new (priv(self)) Private();
  priv(self)->transcript_pad = mediaflow::gstutil::add_transcript_pad(GST_ELEMENT(self), GST_PAD_SRC);
  // Live audio pushed from a call loop: never wait for the clock.
  gst_base_sink_set_sync(GST_BASE_SINK(self), FALSE);
}

static void mediaflow_vendor_asr_class_init(MediaflowVendorAsrClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* sink_class = GST_BASE_SINK_CLASS(klass);
  gobject_class->set_property = mediaflow_vendor_asr_set_property;
  gobject_class->get_property = mediaflow_vendor_asr_get_property;
  gobject_class->constructed = mediaflow_vendor_asr_constructed;
  gobject_class->finalize = mediaflow_vendor_asr_finalize;
  constexpr auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  // Write-only: a secret is never read back (gst-inspect, launch lines, logs).
  g_object_class_install_property(
      gobject_class, PROP_API_KEY,
      g_param_spec_string("api-key", "API key",
                          "The vendor's API key (default: its environment variable, named in the element's description)",
                          nullptr,
                          static_cast<GParamFlags>(G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));
  // A base URL: the element appends the vendor's query (encoding, sample rate, options).
  g_object_class_install_property(
      gobject_class, PROP_URL,
      g_param_spec_string("url", "URL",
                          "Streaming endpoint, a base URL the element adds its query to (default: the vendor's "
                          "environment variable, named in the element's description, else its public endpoint)",
                          nullptr, rw));
  // The latency the framing adds: the first audio of a message waits this long for the rest.
  g_object_class_install_property(
      gobject_class, PROP_CHUNK_MS,
      g_param_spec_uint("chunk-ms", "Chunk duration",
                        "Audio per message in ms: sent once this much is pending, so results come up to this "
                        "much later (default and accepted range per vendor; values outside are clamped)",
                        20, 1000, kDefaultChunkMs, rw));
  g_object_class_install_property(
      gobject_class, PROP_ON_FAILURE,
      g_param_spec_enum("on-failure", "On failure",
                        "When the vendor cannot be used: end the call (error) or go on without transcription "
                        "(warning)",
                        MEDIAFLOW_TYPE_ON_FAILURE, kDefaultOnFailure, rw));
  g_object_class_install_property(
      gobject_class, PROP_KEEPALIVE_INTERVAL,
      g_param_spec_uint("keepalive-interval", "Keepalive interval",
                        "Send the vendor's keepalive message after this many ms without sending anything", 100,
                        60000, kDefaultKeepaliveMs, rw));
  g_object_class_install_property(
      gobject_class, PROP_RECONNECT_BUFFER,
      g_param_spec_uint("reconnect-buffer", "Reconnect buffer",
                        "Seconds of unconfirmed audio kept to resend after a reconnect (oldest dropped first)",
                        1, 300, kDefaultReconnectBufferS, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_RECONNECTS,
      g_param_spec_uint("max-reconnects", "Max reconnects",
                        "Consecutive failed connection attempts before giving up for this call", 0, 100,
                        kDefaultMaxReconnects, rw));
  g_object_class_install_property(
      gobject_class, PROP_FINALIZE_TIMEOUT,
      g_param_spec_uint("finalize-timeout", "Finalize timeout",
                        "At EOS, how long (ms) to wait for the vendor's last results (a vendor paced to real "
                        "time also gets the duration of the audio still to send)",
                        100, 60000, kDefaultFinalizeTimeoutMs, rw));
  g_object_class_install_property(
      gobject_class, PROP_STALL_TIMEOUT,
      g_param_spec_uint("stall-timeout", "Stall timeout",
                        "Reconnect when the vendor sends nothing for this many ms after audio was sent; 0: never "
                        "(default per vendor: one that is silent while nobody speaks needs 0)",
                        0, 600000, 0, rw));

  // What the element hears, in-band: one JSON result per buffer (transcript_stream.hpp), for
  // the element the pipeline file links it to (an agent's `transcript` pad). Unlinked is fine.
  gst_element_class_add_pad_template(GST_ELEMENT_CLASS(klass),
                                     mediaflow::gstutil::transcript_pad_template(GST_PAD_SRC));

  sink_class->start = GST_DEBUG_FUNCPTR(mediaflow_vendor_asr_start);
  sink_class->stop = GST_DEBUG_FUNCPTR(mediaflow_vendor_asr_stop);
  sink_class->set_caps = GST_DEBUG_FUNCPTR(mediaflow_vendor_asr_set_caps);
  sink_class->render = GST_DEBUG_FUNCPTR(mediaflow_vendor_asr_render);
  sink_class->event = GST_DEBUG_FUNCPTR(mediaflow_vendor_asr_event);
  sink_class->unlock = GST_DEBUG_FUNCPTR(mediaflow_vendor_asr_unlock);
  sink_class->unlock_stop = GST_DEBUG_FUNCPTR(mediaflow_vendor_asr_unlock_stop);
}
