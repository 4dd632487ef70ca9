/**
 * SECTION:element-deepgramasr
 *
 * Streams call audio to Deepgram live transcription over a WebSocket and posts what
 * Deepgram hears as element messages (schema: docs/transcript-schema.md):
 *
 *  - `mediaflow-transcript` {vendor s, text s, is-final b, end-of-utterance b, start d,
 *    duration d, confidence d, words (list of `word` structures) when given, channel i}
 *  - `mediaflow-speech-started` {vendor s, timestamp d}
 *  - `mediaflow-utterance-end` {vendor s, last-word-end d}
 *  - `mediaflow-vendor-reconnect` {vendor s}: a new connection attempt after a drop
 *
 * Times are call time in seconds: the running time of the audio in this element's input,
 * so they stay right across reconnects. When Deepgram cannot be used (key refused, vendor
 * unreachable after `max-reconnects` attempts) the element posts one warning and discards
 * audio: the call goes on without transcription.
 *
 * Threading: render() never blocks; audio is queued and sent from the GMainContext chosen at
 * start (see mediaflow/gstutil/loop_context.hpp): the host's call loop, or a private thread when nothing
 * iterates the thread-default context (gst-launch-1.0, appsrc tests). On EOS the element sends
 * the remaining audio and CloseStream, and posts EOS only after Deepgram's final results (or
 * `finalize-timeout`): on a streaming thread by waiting in the EOS handler; on the call
 * loop's own thread, where waiting is forbidden, by holding the EOS and posting it later.
 *
 * ## Example launch line (against the test fake; see plugins/asr_deepgram/README.md)
 * |[
 * DEEPGRAM_API_KEY=test-key DEEPGRAM_WS_URL=ws://127.0.0.1:8765/v1/listen \
 * gst-launch-1.0 -m audiotestsrc num-buffers=100 ! audio/x-raw,format=S16LE,rate=16000,channels=1 ! deepgramasr
 * ]|
 */
#include "gstdeepgramasr.hpp"

#include "deepgram_protocol.hpp"
#include "deepgram_session.hpp"
#include <mediaflow/gstutil/loop_context.hpp>

#include <memory>
#include <string>

GST_DEBUG_CATEGORY_STATIC(gst_deepgram_asr_debug);
#define GST_CAT_DEFAULT gst_deepgram_asr_debug

namespace dg = mediaflow::deepgram;

namespace {

constexpr const char* kVendor = "deepgram";
constexpr const char* kDefaultUrl = "wss://api.deepgram.com/v1/listen";
constexpr const char* kDefaultModel = "nova-3";
constexpr const char* kDefaultLanguage = "en";
constexpr gboolean kDefaultInterimResults = TRUE;
constexpr gint kDefaultEndpointing = 300;
constexpr guint kDefaultUtteranceEndMs = 1000;
constexpr gboolean kDefaultVadEvents = TRUE;
constexpr gboolean kDefaultSmartFormat = TRUE;
constexpr gboolean kDefaultPunctuate = TRUE;
constexpr guint kDefaultKeepaliveMs = 4000;
constexpr guint kDefaultReconnectBufferS = 10;
constexpr guint kDefaultMaxReconnects = 5;
constexpr guint kDefaultFinalizeTimeoutMs = 5000;

enum {
  PROP_0,
  PROP_API_KEY,
  PROP_URL,
  PROP_MODEL,
  PROP_LANGUAGE,
  PROP_INTERIM_RESULTS,
  PROP_ENDPOINTING,
  PROP_UTTERANCE_END_MS,
  PROP_VAD_EVENTS,
  PROP_SMART_FORMAT,
  PROP_PUNCTUATE,
  PROP_KEEPALIVE_INTERVAL,
  PROP_RECONNECT_BUFFER,
  PROP_MAX_RECONNECTS,
  PROP_FINALIZE_TIMEOUT,
  PROP_TAG,
};

// What exists only between start() and stop().
struct Running {
  std::unique_ptr<mediaflow::gstutil::LoopContext> loop;
  std::shared_ptr<dg::Session> session;
  dg::Encoding encoding = dg::Encoding::kLinear16;
  int rate = 0;
  bool disabled = false;  // no API key: audio is accepted and dropped
  // EOS hand-shake with the session (guarded by `lock`).
  GMutex lock;
  GCond cond;
  bool finished = false;
  bool flushing = false;
  GstEvent* held_eos = nullptr;  // host loop thread: EOS posted when the session finishes
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

}  // namespace

struct _GstDeepgramAsr {
  GstBaseSink parent;
  // Settings (GST_OBJECT_LOCK).
  gchar* api_key;
  gchar* url;
  gchar* model;
  gchar* language;
  gboolean interim_results;
  gint endpointing;
  guint utterance_end_ms;
  gboolean vad_events;
  gboolean smart_format;
  gboolean punctuate;
  guint keepalive_interval;
  guint reconnect_buffer;
  guint max_reconnects;
  guint finalize_timeout;
  gchar* tag;
  // State: created in start(), used from the streaming thread and the loop context.
  Running* running;
};

G_DEFINE_TYPE(GstDeepgramAsr, gst_deepgram_asr, GST_TYPE_BASE_SINK)
GST_ELEMENT_REGISTER_DEFINE(deepgramasr, "deepgramasr", GST_RANK_NONE, GST_TYPE_DEEPGRAM_ASR)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-raw, format=(string)S16LE, rate=(int)16000, channels=(int)1, "
                    "layout=(string)interleaved; "
                    "audio/x-mulaw, rate=(int)8000, channels=(int)1"));

namespace {

GstStructure* word_structure(const dg::Word& w, double offset) {
  GstStructure* s = gst_structure_new("word", "word", G_TYPE_STRING, w.word.c_str(), "start", G_TYPE_DOUBLE,
                                      offset + w.start, "end", G_TYPE_DOUBLE, offset + w.end, "confidence",
                                      G_TYPE_DOUBLE, w.confidence, nullptr);
  if (w.punctuated_word)
    gst_structure_set(s, "punctuated", G_TYPE_STRING, w.punctuated_word->c_str(), nullptr);
  return s;
}

GstStructure* transcript_structure(const dg::Results& r, double offset) {
  GstStructure* s = gst_structure_new(
      "mediaflow-transcript", "vendor", G_TYPE_STRING, kVendor, "text", G_TYPE_STRING, r.transcript.c_str(),
      "is-final", G_TYPE_BOOLEAN, r.is_final, "end-of-utterance", G_TYPE_BOOLEAN, r.speech_final, "start",
      G_TYPE_DOUBLE, offset + r.start, "duration", G_TYPE_DOUBLE, r.duration, "confidence", G_TYPE_DOUBLE,
      r.confidence, nullptr);
  if (!r.words.empty()) {
    GValue list = G_VALUE_INIT;
    g_value_init(&list, GST_TYPE_LIST);
    for (const auto& w : r.words) {
      GValue item = G_VALUE_INIT;
      g_value_init(&item, GST_TYPE_STRUCTURE);
      g_value_take_boxed(&item, word_structure(w, offset));
      gst_value_list_append_and_take_value(&list, &item);
    }
    gst_structure_take_value(s, "words", &list);
  }
  gst_structure_set(s, "channel", G_TYPE_INT, r.channel, nullptr);
  return s;
}

void post(GstDeepgramAsr* self, GstStructure* s) {
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

// On the loop context.
void handle_message(GstDeepgramAsr* self, const dg::ServerMessage& m, double offset) {
  if (const auto* r = std::get_if<dg::Results>(&m)) {
    post(self, transcript_structure(*r, offset));
  } else if (const auto* u = std::get_if<dg::UtteranceEnd>(&m)) {
    post(self, gst_structure_new("mediaflow-utterance-end", "vendor", G_TYPE_STRING, kVendor, "last-word-end",
                                 G_TYPE_DOUBLE, offset + u->last_word_end, nullptr));
  } else if (const auto* sp = std::get_if<dg::SpeechStarted>(&m)) {
    post(self, gst_structure_new("mediaflow-speech-started", "vendor", G_TYPE_STRING, kVendor, "timestamp",
                                 G_TYPE_DOUBLE, offset + sp->timestamp, nullptr));
  } else if (const auto* md = std::get_if<dg::Metadata>(&m)) {
    GST_INFO_OBJECT(self, "stream metadata: request id %s, %.3f s", md->request_id.c_str(), md->duration);
  } else if (const auto* e = std::get_if<dg::ServerError>(&m)) {
    // The description is ours or Deepgram's error text: no audio, no transcript.
    GST_WARNING_OBJECT(self, "ignoring server message: %s", e->description.c_str());
  } else if (const auto* u2 = std::get_if<dg::Unknown>(&m)) {
    GST_DEBUG_OBJECT(self, "ignoring message of type %s", u2->type.c_str());
  }
}

// Called on the loop context when the session has finished after EOS.
void session_finished(GstDeepgramAsr* self) {
  Running* run = self->running;
  if (!run) return;
  g_mutex_lock(&run->lock);
  run->finished = true;
  GstEvent* eos = run->held_eos;
  run->held_eos = nullptr;
  g_cond_broadcast(&run->cond);
  g_mutex_unlock(&run->lock);
  if (eos) {
    GST_DEBUG_OBJECT(self, "final results in, posting the held EOS");
    GST_BASE_SINK_CLASS(gst_deepgram_asr_parent_class)->event(GST_BASE_SINK(self), eos);
  }
}

std::string setting_or_env(const gchar* value, const char* env, const char* fallback) {
  if (value && *value) return value;
  const char* e = g_getenv(env);
  if (e && *e) return e;
  return fallback ? fallback : "";
}

}  // namespace

static gboolean gst_deepgram_asr_start(GstBaseSink* sink) {
  auto* self = GST_DEEPGRAM_ASR(sink);
  auto* run = new Running();
  run->loop = std::make_unique<mediaflow::gstutil::LoopContext>("deepgramasr");
  GST_DEBUG_OBJECT(self, "network work on %s", run->loop->has_own_thread() ? "a private thread" : "the caller's loop");
  GST_OBJECT_LOCK(self);
  self->running = run;
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static gboolean gst_deepgram_asr_stop(GstBaseSink* sink) {
  auto* self = GST_DEEPGRAM_ASR(sink);
  GST_OBJECT_LOCK(self);
  Running* run = self->running;
  GST_OBJECT_UNLOCK(self);
  if (!run) return TRUE;
  if (run->session) {
    // Runs now on the loop thread; otherwise queued (the session keeps itself and us alive).
    run->loop->invoke([s = run->session] { s->shutdown(); });
    run->session.reset();
  }
  run->loop.reset();  // a private thread runs the shutdown above, then is joined
  GST_OBJECT_LOCK(self);
  self->running = nullptr;
  GST_OBJECT_UNLOCK(self);
  delete run;
  return TRUE;
}

static gboolean gst_deepgram_asr_set_caps(GstBaseSink* sink, GstCaps* caps) {
  auto* self = GST_DEEPGRAM_ASR(sink);
  Running* run = self->running;
  GstStructure* st = gst_caps_get_structure(caps, 0);
  const dg::Encoding encoding =
      gst_structure_has_name(st, "audio/x-mulaw") ? dg::Encoding::kMulaw : dg::Encoding::kLinear16;
  int rate = 0;
  gst_structure_get_int(st, "rate", &rate);
  if (run->session || run->disabled) {
    if (encoding == run->encoding && rate == run->rate) return TRUE;
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Audio format changed mid-stream"),
                      ("a Deepgram stream keeps the encoding and rate it was opened with"));
    return FALSE;
  }
  run->encoding = encoding;
  run->rate = rate;

  dg::ListenOptions options;
  dg::SessionConfig config;
  GST_OBJECT_LOCK(self);
  options.encoding = encoding;
  options.sample_rate = rate;
  options.channels = 1;
  options.model = self->model ? self->model : "";
  options.language = self->language ? self->language : "";
  options.interim_results = self->interim_results;
  options.endpointing_ms = self->endpointing;
  options.utterance_end_ms = self->utterance_end_ms;
  options.vad_events = self->vad_events;
  options.smart_format = self->smart_format;
  options.punctuate = self->punctuate;
  if (self->tag) options.tags = dg::split_tags(self->tag);
  config.url = dg::build_listen_url(setting_or_env(self->url, "DEEPGRAM_WS_URL", kDefaultUrl), options);
  config.api_key = setting_or_env(self->api_key, "DEEPGRAM_API_KEY", nullptr);
  config.keepalive_ms = self->keepalive_interval;
  config.max_reconnects = self->max_reconnects;
  config.finalize_timeout_ms = self->finalize_timeout;
  config.bytes_per_second = static_cast<std::size_t>(dg::bytes_per_second(options));
  config.backlog_bytes = config.bytes_per_second * self->reconnect_buffer;
  GST_OBJECT_UNLOCK(self);
  config.frame_bytes = encoding == dg::Encoding::kMulaw ? 1 : 2;
  config.silence = encoding == dg::Encoding::kMulaw ? 0xFF : 0;

  if (config.api_key.empty()) {
    GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS, ("No Deepgram API key: transcription is off for this call"),
                        ("set the api-key property or DEEPGRAM_API_KEY"));
    run->disabled = true;
    return TRUE;
  }

  dg::SessionEvents events;
  events.owner = std::shared_ptr<void>(gst_object_ref(self), gst_object_unref);
  events.message = [self](const dg::ServerMessage& m, double offset) { handle_message(self, m, offset); };
  events.reconnecting = [self] {
    GST_INFO_OBJECT(self, "reconnecting to Deepgram");
    post(self, gst_structure_new("mediaflow-vendor-reconnect", "vendor", G_TYPE_STRING, kVendor, nullptr));
  };
  events.warning = [self](const std::string& why) {
    GST_ELEMENT_WARNING(self, RESOURCE, OPEN_READ, ("Speech recognition unavailable: %s", why.c_str()),
                        ("the call continues without transcription"));
  };
  events.finished = [self] { session_finished(self); };
  run->session = dg::Session::create(std::move(config), std::move(events));
  run->loop->invoke([s = run->session] { s->start(); });
  return TRUE;
}

static GstFlowReturn gst_deepgram_asr_render(GstBaseSink* sink, GstBuffer* buffer) {
  auto* self = GST_DEEPGRAM_ASR(sink);
  Running* run = self->running;
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

static gboolean gst_deepgram_asr_event(GstBaseSink* sink, GstEvent* event) {
  auto* self = GST_DEEPGRAM_ASR(sink);
  Running* run = self->running;
  if (GST_EVENT_TYPE(event) != GST_EVENT_EOS || !run || !run->session)
    return GST_BASE_SINK_CLASS(gst_deepgram_asr_parent_class)->event(sink, event);

  g_mutex_lock(&run->lock);
  run->finished = false;
  const bool on_loop = run->loop->is_current();
  if (on_loop) run->held_eos = event;  // posted by session_finished(), maybe right below
  g_mutex_unlock(&run->lock);
  run->loop->invoke([s = run->session] { s->finish(); });
  if (on_loop) return TRUE;

  // A streaming thread may wait; the session's own bound (finalize-timeout) ends it, the
  // extra second only covers a loop that stopped turning.
  GST_OBJECT_LOCK(self);
  const gint64 bound_us = (gint64(self->finalize_timeout) + 1000) * 1000;
  GST_OBJECT_UNLOCK(self);
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
  return GST_BASE_SINK_CLASS(gst_deepgram_asr_parent_class)->event(sink, event);
}

static gboolean gst_deepgram_asr_unlock(GstBaseSink* sink) {
  Running* run = GST_DEEPGRAM_ASR(sink)->running;
  if (!run) return TRUE;
  g_mutex_lock(&run->lock);
  run->flushing = true;
  g_cond_broadcast(&run->cond);
  g_mutex_unlock(&run->lock);
  return TRUE;
}

static gboolean gst_deepgram_asr_unlock_stop(GstBaseSink* sink) {
  Running* run = GST_DEEPGRAM_ASR(sink)->running;
  if (!run) return TRUE;
  g_mutex_lock(&run->lock);
  run->flushing = false;
  g_mutex_unlock(&run->lock);
  return TRUE;
}

static void replace_string(gchar** field, const GValue* value) {
  g_free(*field);
  *field = g_value_dup_string(value);
}

static void gst_deepgram_asr_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_DEEPGRAM_ASR(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_API_KEY: replace_string(&self->api_key, value); break;
    case PROP_URL: replace_string(&self->url, value); break;
    case PROP_MODEL: replace_string(&self->model, value); break;
    case PROP_LANGUAGE: replace_string(&self->language, value); break;
    case PROP_INTERIM_RESULTS: self->interim_results = g_value_get_boolean(value); break;
    case PROP_ENDPOINTING: self->endpointing = g_value_get_int(value); break;
    case PROP_UTTERANCE_END_MS: self->utterance_end_ms = g_value_get_uint(value); break;
    case PROP_VAD_EVENTS: self->vad_events = g_value_get_boolean(value); break;
    case PROP_SMART_FORMAT: self->smart_format = g_value_get_boolean(value); break;
    case PROP_PUNCTUATE: self->punctuate = g_value_get_boolean(value); break;
    case PROP_KEEPALIVE_INTERVAL: self->keepalive_interval = g_value_get_uint(value); break;
    case PROP_RECONNECT_BUFFER: self->reconnect_buffer = g_value_get_uint(value); break;
    case PROP_MAX_RECONNECTS: self->max_reconnects = g_value_get_uint(value); break;
    case PROP_FINALIZE_TIMEOUT: self->finalize_timeout = g_value_get_uint(value); break;
    case PROP_TAG: replace_string(&self->tag, value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_deepgram_asr_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_DEEPGRAM_ASR(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_URL: g_value_set_string(value, self->url); break;
    case PROP_MODEL: g_value_set_string(value, self->model); break;
    case PROP_LANGUAGE: g_value_set_string(value, self->language); break;
    case PROP_INTERIM_RESULTS: g_value_set_boolean(value, self->interim_results); break;
    case PROP_ENDPOINTING: g_value_set_int(value, self->endpointing); break;
    case PROP_UTTERANCE_END_MS: g_value_set_uint(value, self->utterance_end_ms); break;
    case PROP_VAD_EVENTS: g_value_set_boolean(value, self->vad_events); break;
    case PROP_SMART_FORMAT: g_value_set_boolean(value, self->smart_format); break;
    case PROP_PUNCTUATE: g_value_set_boolean(value, self->punctuate); break;
    case PROP_KEEPALIVE_INTERVAL: g_value_set_uint(value, self->keepalive_interval); break;
    case PROP_RECONNECT_BUFFER: g_value_set_uint(value, self->reconnect_buffer); break;
    case PROP_MAX_RECONNECTS: g_value_set_uint(value, self->max_reconnects); break;
    case PROP_FINALIZE_TIMEOUT: g_value_set_uint(value, self->finalize_timeout); break;
    case PROP_TAG: g_value_set_string(value, self->tag); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_deepgram_asr_finalize(GObject* object) {
  auto* self = GST_DEEPGRAM_ASR(object);
  g_free(self->api_key);
  g_free(self->url);
  g_free(self->model);
  g_free(self->language);
  g_free(self->tag);
  G_OBJECT_CLASS(gst_deepgram_asr_parent_class)->finalize(object);
}

static void gst_deepgram_asr_init(GstDeepgramAsr* self) {
  self->model = g_strdup(kDefaultModel);
  self->language = g_strdup(kDefaultLanguage);
  self->interim_results = kDefaultInterimResults;
  self->endpointing = kDefaultEndpointing;
  self->utterance_end_ms = kDefaultUtteranceEndMs;
  self->vad_events = kDefaultVadEvents;
  self->smart_format = kDefaultSmartFormat;
  self->punctuate = kDefaultPunctuate;
  self->keepalive_interval = kDefaultKeepaliveMs;
  self->reconnect_buffer = kDefaultReconnectBufferS;
  self->max_reconnects = kDefaultMaxReconnects;
  self->finalize_timeout = kDefaultFinalizeTimeoutMs;
  // Live audio pushed from a call loop: never wait for the clock.
  gst_base_sink_set_sync(GST_BASE_SINK(self), FALSE);
}

static void gst_deepgram_asr_class_init(GstDeepgramAsrClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* sink_class = GST_BASE_SINK_CLASS(klass);
  gobject_class->set_property = gst_deepgram_asr_set_property;
  gobject_class->get_property = gst_deepgram_asr_get_property;
  gobject_class->finalize = gst_deepgram_asr_finalize;
  constexpr auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                               GST_PARAM_MUTABLE_READY);

  // Write-only: a secret is never read back (gst-inspect, launch lines, logs).
  g_object_class_install_property(
      gobject_class, PROP_API_KEY,
      g_param_spec_string("api-key", "API key", "Deepgram API key (default: $DEEPGRAM_API_KEY)", nullptr,
                          static_cast<GParamFlags>(G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));
  // A base URL: the element appends encoding, sample_rate and the other query parameters.
  g_object_class_install_property(
      gobject_class, PROP_URL,
      g_param_spec_string("url", "URL",
                          "Listen endpoint (default: $DEEPGRAM_WS_URL, else wss://api.deepgram.com/v1/listen)",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model", "Deepgram model (empty: Deepgram's default)", kDefaultModel, rw));
  g_object_class_install_property(
      gobject_class, PROP_LANGUAGE,
      g_param_spec_string("language", "Language", "BCP-47 language (empty: Deepgram's default)",
                          kDefaultLanguage, rw));
  g_object_class_install_property(
      gobject_class, PROP_INTERIM_RESULTS,
      g_param_spec_boolean("interim-results", "Interim results", "Ask for interim (not final) transcripts",
                           kDefaultInterimResults, rw));
  g_object_class_install_property(
      gobject_class, PROP_ENDPOINTING,
      g_param_spec_int("endpointing", "Endpointing", "Silence (ms) that ends an utterance; -1 disables",
                       -1, 10000, kDefaultEndpointing, rw));
  g_object_class_install_property(
      gobject_class, PROP_UTTERANCE_END_MS,
      g_param_spec_uint("utterance-end-ms", "Utterance end",
                        "Gap (ms) after the last word that posts mediaflow-utterance-end; 0 disables "
                        "(needs interim-results)",
                        0, 5000, kDefaultUtteranceEndMs, rw));
  g_object_class_install_property(
      gobject_class, PROP_VAD_EVENTS,
      g_param_spec_boolean("vad-events", "VAD events", "Ask for SpeechStarted (mediaflow-speech-started)",
                           kDefaultVadEvents, rw));
  g_object_class_install_property(
      gobject_class, PROP_SMART_FORMAT,
      g_param_spec_boolean("smart-format", "Smart format", "Format numbers, dates, …", kDefaultSmartFormat, rw));
  g_object_class_install_property(
      gobject_class, PROP_PUNCTUATE,
      g_param_spec_boolean("punctuate", "Punctuate", "Add punctuation and capitalisation", kDefaultPunctuate, rw));
  // Deepgram closes a stream after ~10 s without audio or text.
  g_object_class_install_property(
      gobject_class, PROP_KEEPALIVE_INTERVAL,
      g_param_spec_uint("keepalive-interval", "Keepalive interval",
                        "Send KeepAlive after this many ms without sending anything", 100, 9000,
                        kDefaultKeepaliveMs, rw));
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
                        "At EOS, how long (ms) to wait for Deepgram's final results", 100, 60000,
                        kDefaultFinalizeTimeoutMs, rw));
  // Deepgram's own request labels (usage reports); the benchmark also uses them to tell the
  // fake vendor when each call's audio was sent (bench/pipelines/transcribe-deepgram.json).
  g_object_class_install_property(
      gobject_class, PROP_TAG,
      g_param_spec_string("tag", "Tag",
                          "Comma-separated labels, each sent as a tag query parameter (Deepgram allows "
                          "128 characters per tag); empty: none",
                          nullptr, rw));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(element_class, "Deepgram speech recognition", "Sink/Audio/Analyzer",
                                        "Streams audio to Deepgram live transcription and posts transcripts",
                                        "mediaflow");
  sink_class->start = GST_DEBUG_FUNCPTR(gst_deepgram_asr_start);
  sink_class->stop = GST_DEBUG_FUNCPTR(gst_deepgram_asr_stop);
  sink_class->set_caps = GST_DEBUG_FUNCPTR(gst_deepgram_asr_set_caps);
  sink_class->render = GST_DEBUG_FUNCPTR(gst_deepgram_asr_render);
  sink_class->event = GST_DEBUG_FUNCPTR(gst_deepgram_asr_event);
  sink_class->unlock = GST_DEBUG_FUNCPTR(gst_deepgram_asr_unlock);
  sink_class->unlock_stop = GST_DEBUG_FUNCPTR(gst_deepgram_asr_unlock_stop);
  GST_DEBUG_CATEGORY_INIT(gst_deepgram_asr_debug, "deepgramasr", 0, "Deepgram speech recognition");
}
