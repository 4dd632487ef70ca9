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
 * A MediaflowVendorAsr (mediaflow/vendor/vendor_asr.hpp): the connection, reconnects, the
 * replay of unconfirmed audio, EOS and failures are the base class's, and so are the
 * properties `api-key` (default $DEEPGRAM_API_KEY, sent as "Authorization: Token <key>"),
 * `url` (default $DEEPGRAM_WS_URL, else wss://api.deepgram.com/v1/listen), `chunk-ms`
 * (default 100, 20–250: Deepgram wants 20–250 ms per message; every message holds exactly
 * chunk-ms of audio but the last at EOS, so results come up to chunk-ms later than with 20 ms
 * frames — the latency budget of the batching), `on-failure` (default continue), `keepalive-interval` (Deepgram closes a
 * stream after ~10 s without audio or text), `reconnect-buffer`, `max-reconnects`,
 * `finalize-timeout`, `stall-timeout` (default 0). This file adds Deepgram's query options.
 *
 * Input: the call's audio as it is, nothing decoded or resampled for Deepgram: Twilio's mu-law
 * at 8 kHz (`encoding=mulaw&sample_rate=8000`) or S16LE mono at any rate from 8 to 64 kHz
 * (`encoding=linear16&sample_rate=<rate>`, jambonz's rates).
 *
 * Times are call time in seconds: the running time of the audio in this element's input,
 * so they stay right across reconnects. When Deepgram cannot be used (key refused, vendor
 * unreachable after `max-reconnects` attempts) the element posts one warning and discards
 * audio: the call goes on without transcription (or ends, with on-failure=close-call). On
 * EOS it sends the remaining audio and CloseStream, and posts EOS only after Deepgram's
 * final results and close (or `finalize-timeout`).
 *
 * ## Example launch line (against the test fake; see plugins/asr_deepgram/README.md)
 * |[
 * DEEPGRAM_API_KEY=test-key DEEPGRAM_WS_URL=ws://127.0.0.1:8765/v1/listen \
 * gst-launch-1.0 -m audiotestsrc num-buffers=100 ! audio/x-raw,format=S16LE,rate=16000,channels=1 ! deepgramasr
 * ]|
 */
#include "gstdeepgramasr.hpp"

#include "deepgram_protocol.hpp"

#include <string>

GST_DEBUG_CATEGORY_STATIC(gst_deepgram_asr_debug);
#define GST_CAT_DEFAULT gst_deepgram_asr_debug

namespace dg = mediaflow::deepgram;
namespace vendor = mediaflow::vendor;

namespace {

const vendor::AsrVendorInfo kDeepgram{
    .name = "deepgram",
    .display_name = "Deepgram",
    .api_key_env = "DEEPGRAM_API_KEY",
    .url_env = "DEEPGRAM_WS_URL",
    .default_url = "wss://api.deepgram.com/v1/listen",
    // Deepgram takes 20–250 ms per binary frame. 100 ms per message: a fifth of the messages
    // (and of their per-message cost on both ends) of 20 ms frames, for up to 80 ms (mean
    // 40 ms) more on each result than 20 ms messages, small beside Deepgram's own few hundred
    // ms and its 300 ms endpointing (docs/benchmarks.md, session 6, vendor path). Every message is chunk-ms
    // long, a backlog resent after a reconnect too; the last at EOS holds the rest.
    .chunk_ms_default = 100,
    .chunk_ms_min = 20,
    .chunk_ms_max = 250,
    .keepalive_message = dg::encode_control(dg::Control::kKeepAlive),
    .finalize_message = dg::encode_control(dg::Control::kCloseStream),
    .error_header = "dg-error",
};

constexpr const char* kDefaultModel = "nova-3";
constexpr const char* kDefaultLanguage = "en";
constexpr gboolean kDefaultInterimResults = TRUE;
constexpr gint kDefaultEndpointing = 300;
constexpr guint kDefaultUtteranceEndMs = 1000;
constexpr gboolean kDefaultVadEvents = TRUE;
constexpr gboolean kDefaultSmartFormat = TRUE;
constexpr gboolean kDefaultPunctuate = TRUE;

enum {
  PROP_0,
  PROP_MODEL,
  PROP_LANGUAGE,
  PROP_INTERIM_RESULTS,
  PROP_ENDPOINTING,
  PROP_UTTERANCE_END_MS,
  PROP_VAD_EVENTS,
  PROP_SMART_FORMAT,
  PROP_PUNCTUATE,
  PROP_TAG,
};

}  // namespace

struct _GstDeepgramAsr {
  MediaflowVendorAsr parent;
  // Settings (GST_OBJECT_LOCK): Deepgram's query options.
  gchar* model;
  gchar* language;
  gboolean interim_results;
  gint endpointing;
  guint utterance_end_ms;
  gboolean vad_events;
  gboolean smart_format;
  gboolean punctuate;
  gchar* tag;
};

G_DEFINE_TYPE(GstDeepgramAsr, gst_deepgram_asr, MEDIAFLOW_TYPE_VENDOR_ASR)
GST_ELEMENT_REGISTER_DEFINE(deepgramasr, "deepgramasr", GST_RANK_NONE, GST_TYPE_DEEPGRAM_ASR)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    // What Deepgram takes raw, sent as it comes: linear16 at any sample_rate (here every
    // jambonz rate, 8–64 kHz) and Twilio's mu-law at 8 kHz (encoding=mulaw&sample_rate=8000).
    GST_STATIC_CAPS("audio/x-raw, format=(string)S16LE, rate=(int)[ 8000, 64000 ], channels=(int)1, "
                    "layout=(string)interleaved; "
                    "audio/x-mulaw, rate=(int)8000, channels=(int)1"));

// The listen URL with the query from our properties; the key as "Authorization: Token <key>".
static vendor::Connection gst_deepgram_asr_connection(MediaflowVendorAsr* base, const vendor::ConnectionRequest& request) {
  auto* self = GST_DEEPGRAM_ASR(base);
  dg::ListenOptions options;
  options.encoding = request.format.encoding == mediaflow::transport::AudioFormat::Encoding::kMulaw ? dg::Encoding::kMulaw : dg::Encoding::kLinear16;
  options.sample_rate = request.format.rate;
  options.channels = request.format.channels;
  GST_OBJECT_LOCK(self);
  options.model = self->model ? self->model : "";
  options.language = self->language ? self->language : "";
  options.interim_results = self->interim_results;
  options.endpointing_ms = self->endpointing;
  options.utterance_end_ms = self->utterance_end_ms;
  options.vad_events = self->vad_events;
  options.smart_format = self->smart_format;
  options.punctuate = self->punctuate;
  if (self->tag) options.tags = dg::split_tags(self->tag);
  GST_OBJECT_UNLOCK(self);
  return {dg::build_listen_url(request.url, options), {{"Authorization", "Token " + request.api_key}}};
}

static vendor::AsrResult gst_deepgram_asr_parse_message(MediaflowVendorAsr*, std::string_view text) {
  const dg::ServerMessage m = dg::parse_server_message(text);
  if (const auto* r = std::get_if<dg::Results>(&m)) {
    vendor::Transcript t{r->transcript, r->is_final, r->speech_final, r->start, r->duration, r->confidence, {}, r->channel};
    for (const auto& w : r->words) t.words.push_back({w.word, w.start, w.end, w.confidence, w.punctuated_word});
    return t;
  }
  if (const auto* u = std::get_if<dg::UtteranceEnd>(&m)) return vendor::UtteranceEnd{u->last_word_end};
  if (const auto* sp = std::get_if<dg::SpeechStarted>(&m)) return vendor::SpeechStarted{sp->timestamp};
  if (const auto* md = std::get_if<dg::Metadata>(&m)) return vendor::Ignore{"stream metadata, request id " + md->request_id};
  if (const auto* e = std::get_if<dg::ServerError>(&m)) return vendor::VendorError{e->description};
  return vendor::Ignore{"a message of type " + std::get<dg::Unknown>(m).type};
}

// 1008: the audio is not decodable as declared; sending it again will not help.
static vendor::CloseVerdict gst_deepgram_asr_close_verdict(int code) {
  if (code == 1008) return {"the audio is not decodable as declared", false};
  return {};
}

static void replace_string(gchar** field, const GValue* value) {
  g_free(*field);
  *field = g_value_dup_string(value);
}

static void gst_deepgram_asr_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_DEEPGRAM_ASR(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_MODEL: replace_string(&self->model, value); break;
    case PROP_LANGUAGE: replace_string(&self->language, value); break;
    case PROP_INTERIM_RESULTS: self->interim_results = g_value_get_boolean(value); break;
    case PROP_ENDPOINTING: self->endpointing = g_value_get_int(value); break;
    case PROP_UTTERANCE_END_MS: self->utterance_end_ms = g_value_get_uint(value); break;
    case PROP_VAD_EVENTS: self->vad_events = g_value_get_boolean(value); break;
    case PROP_SMART_FORMAT: self->smart_format = g_value_get_boolean(value); break;
    case PROP_PUNCTUATE: self->punctuate = g_value_get_boolean(value); break;
    case PROP_TAG: replace_string(&self->tag, value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_deepgram_asr_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_DEEPGRAM_ASR(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_MODEL: g_value_set_string(value, self->model); break;
    case PROP_LANGUAGE: g_value_set_string(value, self->language); break;
    case PROP_INTERIM_RESULTS: g_value_set_boolean(value, self->interim_results); break;
    case PROP_ENDPOINTING: g_value_set_int(value, self->endpointing); break;
    case PROP_UTTERANCE_END_MS: g_value_set_uint(value, self->utterance_end_ms); break;
    case PROP_VAD_EVENTS: g_value_set_boolean(value, self->vad_events); break;
    case PROP_SMART_FORMAT: g_value_set_boolean(value, self->smart_format); break;
    case PROP_PUNCTUATE: g_value_set_boolean(value, self->punctuate); break;
    case PROP_TAG: g_value_set_string(value, self->tag); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_deepgram_asr_finalize(GObject* object) {
  auto* self = GST_DEEPGRAM_ASR(object);
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
}

static void gst_deepgram_asr_class_init(GstDeepgramAsrClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* vendor_class = MEDIAFLOW_VENDOR_ASR_CLASS(klass);
  gobject_class->set_property = gst_deepgram_asr_set_property;
  gobject_class->get_property = gst_deepgram_asr_get_property;
  gobject_class->finalize = gst_deepgram_asr_finalize;
  vendor_class->vendor = &kDeepgram;
  vendor_class->connection = gst_deepgram_asr_connection;
  vendor_class->parse_message = gst_deepgram_asr_parse_message;
  vendor_class->close_verdict = gst_deepgram_asr_close_verdict;
  constexpr auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                               GST_PARAM_MUTABLE_READY);

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
                                        "Streams audio to Deepgram live transcription and posts transcripts "
                                        "(api-key: $DEEPGRAM_API_KEY; url: $DEEPGRAM_WS_URL)",
                                        "mediaflow");
  GST_DEBUG_CATEGORY_INIT(gst_deepgram_asr_debug, "deepgramasr", 0, "Deepgram speech recognition");
}
