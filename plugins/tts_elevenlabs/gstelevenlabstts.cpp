/**
 * SECTION:element-elevenlabstts
 *
 * Text in, call audio out: speaks UTF-8 text through ElevenLabs streaming text-to-speech
 * (`stream-input` WebSocket, plugins/tts_elevenlabs/README.md) and pushes the audio, timestamped
 * from 0 and contiguous, in the `output-format` (mu-law 8 kHz by default: what Twilio and
 * jambonz take as they are).
 *
 * Input: each `text/x-raw, format=utf8` buffer on the sink pad is text to speak (sent with
 * try_trigger_generation; a buffer flagged GST_BUFFER_FLAG_MARKER is sent with flush). EOS on
 * the sink pad is the end of input: ElevenLabs generates the rest and says isFinal. The
 * `text` property is a fixed text spoken at start (announcements): then that text is the whole
 * job and the src pad goes EOS after its audio.
 *
 * Output: after the last audio of the input (isFinal) a serialized `mediaflow-mark` event
 * named `tts-<n>` (n counts from 1), so the egress places a mark after that audio; then EOS
 * when the input has ended. With `hangup-when-done` the element posts `mediaflow-hangup`
 * {reason: "tts-done"} right after that EOS: the host ends the call normally once the audio is
 * out (docs/architecture.md, bus messages).
 *
 * Interruption: a `mediaflow-interruption` event (out of band) drops the audio not yet pushed,
 * closes the ElevenLabs connection (stream-input has no contexts to flush: a new text opens a
 * new connection) and goes on downstream so the egress clears its own.
 *
 * The WebSocket is a vendor::StreamingSession (keepalive `{"text":" "}`, reconnects with
 * backoff, bounded end-of-input wait) on the element's gstutil::LoopContext. A refused key or
 * an unreachable vendor: with `on-failure=close-call` (default) GST_ELEMENT_ERROR, with
 * `continue` one GST_ELEMENT_WARNING, and the src pad goes EOS when the input has ended.
 *
 * ## Example launch line (a real key; $ELEVENLABS_TTS_WS_URL points it elsewhere)
 * |[
 * ELEVENLABS_API_KEY=sk_... gst-launch-1.0 elevenlabstts text="Hello from mediaflow." \
 *   output-format=pcm_16000 ! audioconvert ! wavenc ! filesink location=hello.wav
 * ]|
 */
#include "gstelevenlabstts.hpp"

#include "elevenlabs_tts_protocol.hpp"

#include <mediaflow/gstutil/custom_events.hpp>
#include <mediaflow/gstutil/loop_context.hpp>
#include <mediaflow/vendor/streaming_session.hpp>
#include <mediaflow/vendor/vendor_asr.hpp>  // MediaflowOnFailure: one policy type for every vendor

#include <atomic>
#include <cstdlib>
#include <functional>
#include <deque>
#include <memory>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC(gst_elevenlabs_tts_debug);
#define GST_CAT_DEFAULT gst_elevenlabs_tts_debug

namespace tts = mediaflow::elevenlabs_tts;
namespace vendor = mediaflow::vendor;
namespace gstutil = mediaflow::gstutil;

namespace {

constexpr const char* kDefaultUrl = "wss://api.elevenlabs.io";
constexpr const char* kDefaultVoiceId = "21m00Tcm4TlvDq8ikWAM";  // "Rachel", a premade voice
constexpr const char* kDefaultModelId = "eleven_flash_v2_5";
constexpr const char* kDefaultOutputFormat = "ulaw_8000";
constexpr MediaflowOnFailure kDefaultOnFailure = MEDIAFLOW_ON_FAILURE_CLOSE_CALL;

enum {
  PROP_0,
  PROP_API_KEY,
  PROP_VOICE_ID,
  PROP_MODEL_ID,
  PROP_OUTPUT_FORMAT,
  PROP_URL,
  PROP_TEXT,
  PROP_ON_FAILURE,
  PROP_HANGUP_WHEN_DONE,
};

// What properties set (under GST_OBJECT_LOCK).
struct Settings {
  std::string api_key, voice_id = kDefaultVoiceId, model_id = kDefaultModelId,
                       output_format = kDefaultOutputFormat, url, text;
  MediaflowOnFailure on_failure = kDefaultOnFailure;
  bool hangup_when_done = false;
};

// One item for the src pad's task.
struct Item {
  GstBuffer* buffer = nullptr;  // audio
  GstEvent* event = nullptr;    // mark or EOS
};

// What exists only between READY→PAUSED and PAUSED→READY.
struct Running {
  Settings settings;  // a copy, taken at start
  tts::AudioFormat format;
  std::unique_ptr<gstutil::LoopContext> loop;

  // Loop-only.
  std::shared_ptr<vendor::StreamingSession> session;
  tts::ServerMessageParser parser;
  std::vector<std::uint8_t> audio;
  std::string vendor_error;
  bool input_ended = false;  // EOS or the text property: EOS follows the last mark
  bool disabled = false;     // the vendor failed: input is dropped
  unsigned marks = 0;
  std::atomic<bool> stopped{false};  // PAUSED→READY: work still queued on the loop does nothing

  // Shared with the streaming threads, under `lock`.
  GMutex lock;
  GCond cond;
  std::deque<Item> queue;
  bool flushing = false;
  std::uint64_t generation = 0;  // bumped by an interruption: older sessions' audio is dropped
  std::uint64_t pushed_bytes = 0;  // task-only, for timestamps

  Running() {
    g_mutex_init(&lock);
    g_cond_init(&cond);
  }
  ~Running() {
    clear_queue();
    g_cond_clear(&cond);
    g_mutex_clear(&lock);
  }
  void clear_queue() {
    for (Item& i : queue) {
      if (i.buffer) gst_buffer_unref(i.buffer);
      if (i.event) gst_event_unref(i.event);
    }
    queue.clear();
  }
};

}  // namespace

struct _GstElevenLabsTts {
  GstElement parent;
  GstPad* sinkpad;
  GstPad* srcpad;
  Settings* settings;
  Running* running;  // set and cleared on state changes (streaming threads stopped)
  std::shared_ptr<Running>* running_ref;  // what work queued on the loop keeps alive
  bool stream_started;
};

G_DEFINE_TYPE(GstElevenLabsTts, gst_elevenlabs_tts, GST_TYPE_ELEMENT)
GST_ELEMENT_REGISTER_DEFINE(elevenlabstts, "elevenlabstts", GST_RANK_NONE, GST_TYPE_ELEVENLABS_TTS)

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("text/x-raw, format=(string)utf8"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-mulaw, rate=(int)8000, channels=(int)1; "
                    "audio/x-raw, format=(string)S16LE, rate=(int){ 8000, 16000, 22050, 24000, 44100, 48000 }, "
                    "channels=(int)1, layout=(string)interleaved"));

namespace {

GstCaps* caps_of(const tts::AudioFormat& f) {
  if (f.encoding == mediaflow::elevenlabs::AudioEncoding::kMulaw)
    return gst_caps_new_simple("audio/x-mulaw", "rate", G_TYPE_INT, f.rate, "channels", G_TYPE_INT, 1, nullptr);
  return gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "S16LE", "rate", G_TYPE_INT, f.rate, "channels",
                             G_TYPE_INT, 1, "layout", G_TYPE_STRING, "interleaved", nullptr);
}

// Any thread: hands an item to the src pad's task, unless an interruption came since `generation`.
void enqueue(Running* run, Item item, std::uint64_t generation) {
  g_mutex_lock(&run->lock);
  if (run->flushing || generation != run->generation) {
    g_mutex_unlock(&run->lock);
    if (item.buffer) gst_buffer_unref(item.buffer);
    if (item.event) gst_event_unref(item.event);
    return;
  }
  run->queue.push_back(item);
  g_cond_signal(&run->cond);
  g_mutex_unlock(&run->lock);
}

std::uint64_t current_generation(Running* run) {
  g_mutex_lock(&run->lock);
  const std::uint64_t g = run->generation;
  g_mutex_unlock(&run->lock);
  return g;
}

void report_failure(GstElevenLabsTts* self, Running* run, const std::string& why) {
  const bool fatal = run->settings.on_failure == MEDIAFLOW_ON_FAILURE_CLOSE_CALL;
  const std::string text = "Speech synthesis unavailable: " + why;
  const std::string debug = fatal ? "on-failure=close-call: the call ends" : "on-failure=continue: the call goes on without speech";
  gst_element_message_full(GST_ELEMENT(self), fatal ? GST_MESSAGE_ERROR : GST_MESSAGE_WARNING, GST_RESOURCE_ERROR,
                           GST_RESOURCE_ERROR_OPEN_READ, g_strdup(text.c_str()), g_strdup(debug.c_str()), __FILE__,
                           GST_FUNCTION, __LINE__);
}

// Loop: what one ElevenLabs message means.
vendor::MessageEffect on_message(GstElevenLabsTts* self, Running* run, std::string_view text, std::uint64_t generation) {
  run->audio.resize(tts::ServerMessageParser::max_audio_bytes(text.size()));
  const tts::ServerMessage m = run->parser.parse(text, run->audio);
  vendor::MessageEffect effect;
  switch (m.kind) {
    case tts::MessageKind::kAudio:
      effect.healthy = true;
      if (m.audio_bytes > 0) {
        GstBuffer* buffer = gst_buffer_new_memdup(run->audio.data(), m.audio_bytes);
        enqueue(run, {buffer, nullptr}, generation);
      }
      effect.finished = m.is_final;
      break;
    case tts::MessageKind::kFinal:
      effect.healthy = true;
      effect.finished = true;
      break;
    case tts::MessageKind::kError:
      run->vendor_error = std::string(m.error) + ": " + std::string(m.message);
      GST_WARNING_OBJECT(self, "ElevenLabs error %s", run->vendor_error.c_str());
      break;
    case tts::MessageKind::kUnknown:
      break;
    case tts::MessageKind::kMalformed:
      GST_WARNING_OBJECT(self, "malformed ElevenLabs message: %s", m.malformed);
      break;
  }
  return effect;
}

// Loop: the session has finished (isFinal, or its bound expired, or it failed).
void on_finished(GstElevenLabsTts* self, Running* run, std::uint64_t generation) {
  run->session.reset();
  if (run->disabled) {
    if (run->input_ended) enqueue(run, {nullptr, gst_event_new_eos()}, generation);
    return;
  }
  const std::string name = "tts-" + std::to_string(++run->marks);
  GST_DEBUG_OBJECT(self, "last audio of the input: mark %s", name.c_str());
  enqueue(run, {nullptr, gstutil::make_mark_event(name)}, generation);
  if (run->input_ended) enqueue(run, {nullptr, gst_event_new_eos()}, generation);
}

// Loop: the connection for the next text (a new one after an interruption or an end of input).
vendor::StreamingSession* session_for_text(GstElevenLabsTts* self, const std::shared_ptr<Running>& keep) {
  Running* run = keep.get();
  if (run->disabled) return nullptr;
  if (run->session) return run->session.get();
  const Settings& s = run->settings;
  if (s.api_key.empty()) {
    run->disabled = true;
    report_failure(self, run, "no ElevenLabs API key (set api-key or ELEVENLABS_API_KEY)");
    return nullptr;
  }
  tts::StreamOptions options;
  options.voice_id = s.voice_id;
  options.model_id = s.model_id;
  options.output_format = run->format;
  vendor::SessionConfig config;
  config.url = tts::build_stream_url(s.url, options);
  config.headers = {{tts::kApiKeyHeader, s.api_key}};
  config.vendor_name = "ElevenLabs";
  config.framing.bytes_per_second = std::size_t(run->format.bytes_per_second());
  config.backlog_bytes = 0;
  config.open_message = tts::encode_initial({});
  config.keepalive_message = tts::encode_text("");  // {"text":" "}: ElevenLabs' keepalive
  config.keepalive_ms = 15000;                      // inside its 20 s inactivity timeout
  config.finalize_message = tts::encode_end_of_input();
  config.finalize_timeout_ms = 30000;  // the whole rest of the speech is generated after it

  const std::uint64_t generation = current_generation(run);
  vendor::SessionEvents events;
  events.owner = std::shared_ptr<void>(gst_object_ref(self), gst_object_unref);
  events.message = [self, keep, generation](std::string_view text, double) {
    return on_message(self, keep.get(), text, generation);
  };
  events.closed = [](std::uint16_t code) {
    // 1008: key, quota, input timeout or a message it refused; a new connection fails the same way.
    if (code == 1008) return vendor::CloseVerdict{"ElevenLabs refused the input or the key (close 1008)", false};
    return vendor::CloseVerdict{};
  };
  events.reconnecting = [self] {
    GST_INFO_OBJECT(self, "reconnecting to ElevenLabs");
    gst_element_post_message(GST_ELEMENT(self),
                             gst_message_new_element(GST_OBJECT(self), gst_structure_new("mediaflow-vendor-reconnect", "vendor",
                                                                                         G_TYPE_STRING, "elevenlabs-tts", nullptr)));
  };
  events.failed = [self, keep](const std::string& why) {
    Running* run = keep.get();
    run->disabled = true;
    report_failure(self, run, run->vendor_error.empty() ? why : why + " (" + run->vendor_error + ")");
  };
  events.finished = [self, keep, generation] { on_finished(self, keep.get(), generation); };
  run->session = vendor::StreamingSession::create(std::move(config), std::move(events));
  run->session->start();
  return run->session.get();
}

// Loop: speak `text`.
void speak(GstElevenLabsTts* self, const std::shared_ptr<Running>& run, const std::string& text, tts::Trigger trigger) {
  if (auto* session = session_for_text(self, run)) session->send_text(tts::encode_text(text, trigger));
}

// Loop: the end of input.
void end_input(GstElevenLabsTts* self, Running* run) {
  run->input_ended = true;
  if (run->session) {
    run->session->finish();  // `finished` pushes the mark, then EOS
  } else {
    enqueue(run, {nullptr, gst_event_new_eos()}, current_generation(run));
  }
  (void)self;
}

// Loop: an interruption: the connection speaking the old text goes.
// Runs `fn` on the element's loop, unless the element has stopped by then; keeps what it uses.
void on_loop(GstElevenLabsTts* self, std::function<void(const std::shared_ptr<Running>&)> fn) {
  std::shared_ptr<Running> run = *self->running_ref;
  gst_object_ref(self);
  run->loop->invoke([self, run, fn = std::move(fn)] {
    if (!run->stopped) fn(run);
    gst_object_unref(self);
  });
}

void interrupt(GstElevenLabsTts* self, Running* run) {
  if (!run->session) return;
  GST_DEBUG_OBJECT(self, "interruption: closing the ElevenLabs connection");
  run->session->shutdown();
  run->session.reset();
  // The input had ended: nothing more will come, so the stream ends here (no mark: the audio
  // it would have followed was dropped).
  if (run->input_ended) enqueue(run, {nullptr, gst_event_new_eos()}, current_generation(run));
}

}  // namespace

static void gst_elevenlabs_tts_src_loop(gpointer data) {
  auto* self = GST_ELEVENLABS_TTS(data);
  Running* run = self->running;
  if (!self->stream_started) {
    self->stream_started = true;
    gchar* id = gst_pad_create_stream_id(self->srcpad, GST_ELEMENT(self), nullptr);
    gst_pad_push_event(self->srcpad, gst_event_new_stream_start(id));
    g_free(id);
    GstCaps* caps = caps_of(run->format);
    gst_pad_push_event(self->srcpad, gst_event_new_caps(caps));
    gst_caps_unref(caps);
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    gst_pad_push_event(self->srcpad, gst_event_new_segment(&segment));
  }
  g_mutex_lock(&run->lock);
  while (run->queue.empty() && !run->flushing) g_cond_wait(&run->cond, &run->lock);
  if (run->flushing) {
    g_mutex_unlock(&run->lock);
    gst_pad_pause_task(self->srcpad);
    return;
  }
  Item item = run->queue.front();
  run->queue.pop_front();
  g_mutex_unlock(&run->lock);

  if (item.buffer) {
    const std::uint64_t bps = std::uint64_t(run->format.bytes_per_second());
    const gsize size = gst_buffer_get_size(item.buffer);
    GST_BUFFER_PTS(item.buffer) = gst_util_uint64_scale(run->pushed_bytes, GST_SECOND, bps);
    GST_BUFFER_DURATION(item.buffer) = gst_util_uint64_scale(run->pushed_bytes + size, GST_SECOND, bps) -
                                       GST_BUFFER_PTS(item.buffer);
    GST_BUFFER_OFFSET(item.buffer) = run->pushed_bytes;
    run->pushed_bytes += size;
    const GstFlowReturn ret = gst_pad_push(self->srcpad, item.buffer);
    if (ret != GST_FLOW_OK) {
      GST_DEBUG_OBJECT(self, "pausing: %s", gst_flow_get_name(ret));
      if (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS) GST_ELEMENT_FLOW_ERROR(self, ret);
      gst_pad_pause_task(self->srcpad);
    }
    return;
  }
  const bool eos = GST_EVENT_TYPE(item.event) == GST_EVENT_EOS;
  gst_pad_push_event(self->srcpad, item.event);
  if (eos) {
    gst_pad_pause_task(self->srcpad);
    GST_OBJECT_LOCK(self);
    const bool hangup = self->settings->hangup_when_done;
    GST_OBJECT_UNLOCK(self);
    if (hangup) {
      GST_INFO_OBJECT(self, "all audio out: asking the host to hang up");
      gst_element_post_message(GST_ELEMENT(self),
                               gst_message_new_element(GST_OBJECT(self), gst_structure_new("mediaflow-hangup", "reason",
                                                                                           G_TYPE_STRING, "tts-done", nullptr)));
    }
  }
}

static GstFlowReturn gst_elevenlabs_tts_chain(GstPad*, GstObject* parent, GstBuffer* buffer) {
  auto* self = GST_ELEVENLABS_TTS(parent);
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    gst_buffer_unref(buffer);
    return GST_FLOW_ERROR;
  }
  std::string text(reinterpret_cast<const char*>(map.data), map.size);
  gst_buffer_unmap(buffer, &map);
  const tts::Trigger trigger =
      GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_MARKER) ? tts::Trigger::kFlush : tts::Trigger::kTryTriggerGeneration;
  gst_buffer_unref(buffer);
  while (!text.empty() && text.back() == '\0') text.pop_back();
  if (!g_utf8_validate(text.data(), gssize(text.size()), nullptr)) {
    GST_WARNING_OBJECT(self, "dropping text that is not UTF-8");
    return GST_FLOW_OK;
  }
  on_loop(self, [self, text = std::move(text), trigger](const auto& r) { speak(self, r, text, trigger); });
  return GST_FLOW_OK;
}

static gboolean gst_elevenlabs_tts_sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  auto* self = GST_ELEVENLABS_TTS(parent);
  Running* run = self->running;
  if (gstutil::parse_interruption_event(event, nullptr)) {
    if (run) {
      g_mutex_lock(&run->lock);
      ++run->generation;
      run->clear_queue();
      g_mutex_unlock(&run->lock);
      on_loop(self, [self](const auto& r) { interrupt(self, r.get()); });
    }
    return gst_pad_push_event(self->srcpad, event);  // the egress clears what it holds
  }
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_EOS:
      if (run) on_loop(self, [self](const auto& r) { end_input(self, r.get()); });
      gst_event_unref(event);
      return TRUE;
    case GST_EVENT_CAPS:
    case GST_EVENT_SEGMENT:
    case GST_EVENT_STREAM_START:
      gst_event_unref(event);  // the src pad has its own
      return TRUE;
    default:
      return gst_pad_event_default(pad, parent, event);
  }
}

// READY→PAUSED, before the pads are active.
static gboolean gst_elevenlabs_tts_start(GstElevenLabsTts* self) {
  auto keep = std::make_shared<Running>();
  Running* run = keep.get();
  GST_OBJECT_LOCK(self);
  run->settings = *self->settings;
  GST_OBJECT_UNLOCK(self);
  Settings& s = run->settings;
  if (s.api_key.empty())
    if (const char* env = std::getenv("ELEVENLABS_API_KEY")) s.api_key = env;
  if (s.url.empty()) {
    const char* env = std::getenv("ELEVENLABS_TTS_WS_URL");
    s.url = env && *env ? env : kDefaultUrl;
  }
  const auto parsed = mediaflow::elevenlabs::parse_audio_format(s.output_format);
  if (!parsed) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("Unknown output-format '%s'", s.output_format.c_str()),
                      ("ulaw_8000, pcm_8000, pcm_16000, pcm_22050, pcm_24000, pcm_44100 or pcm_48000"));
    return FALSE;
  }
  run->format = *parsed;
  GstElementFactory* factory = gst_element_get_factory(GST_ELEMENT(self));
  run->loop = std::make_unique<gstutil::LoopContext>(factory ? GST_OBJECT_NAME(factory) : "elevenlabstts");
  self->running = run;
  *self->running_ref = keep;
  self->stream_started = false;
  if (!s.text.empty()) {
    on_loop(self, [self](const std::shared_ptr<Running>& r) {
      speak(self, r, r->settings.text, tts::Trigger::kNone);
      end_input(self, r.get());
    });
  }
  return TRUE;
}

static void gst_elevenlabs_tts_stop(GstElevenLabsTts* self) {
  Running* run = self->running;
  if (!run) return;
  g_mutex_lock(&run->lock);
  run->flushing = true;
  g_cond_broadcast(&run->cond);
  g_mutex_unlock(&run->lock);
  gst_pad_stop_task(self->srcpad);
  run->stopped = true;
  // On the loop: the session goes (no event afterwards); a private thread runs it, then is
  // joined. Work still queued on a host loop finds `stopped` and keeps `run` alive until then.
  std::shared_ptr<Running> keep = std::move(*self->running_ref);
  keep->loop->invoke([keep] {
    if (keep->session) keep->session->shutdown();
    keep->session.reset();
  });
  keep->loop.reset();
  self->running = nullptr;
}

static GstStateChangeReturn gst_elevenlabs_tts_change_state(GstElement* element, GstStateChange transition) {
  auto* self = GST_ELEVENLABS_TTS(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !gst_elevenlabs_tts_start(self)) return GST_STATE_CHANGE_FAILURE;
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    // Unblock the task before the pads deactivate.
    if (Running* run = self->running) {
      g_mutex_lock(&run->lock);
      run->flushing = true;
      g_cond_broadcast(&run->cond);
      g_mutex_unlock(&run->lock);
    }
  }
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_elevenlabs_tts_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    if (ret == GST_STATE_CHANGE_FAILURE ||
        !gst_pad_start_task(self->srcpad, gst_elevenlabs_tts_src_loop, self, nullptr)) {
      gst_elevenlabs_tts_stop(self);
      return GST_STATE_CHANGE_FAILURE;
    }
  }
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) gst_elevenlabs_tts_stop(self);
  return ret;
}

static void gst_elevenlabs_tts_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_ELEVENLABS_TTS(object);
  GST_OBJECT_LOCK(self);
  Settings& s = *self->settings;
  auto str = [value] {
    const char* v = g_value_get_string(value);
    return std::string(v ? v : "");
  };
  switch (id) {
    case PROP_API_KEY: s.api_key = str(); break;
    case PROP_VOICE_ID: s.voice_id = str(); break;
    case PROP_MODEL_ID: s.model_id = str(); break;
    case PROP_OUTPUT_FORMAT: s.output_format = str(); break;
    case PROP_URL: s.url = str(); break;
    case PROP_TEXT: s.text = str(); break;
    case PROP_ON_FAILURE: s.on_failure = static_cast<MediaflowOnFailure>(g_value_get_enum(value)); break;
    case PROP_HANGUP_WHEN_DONE: s.hangup_when_done = g_value_get_boolean(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_elevenlabs_tts_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_ELEVENLABS_TTS(object);
  GST_OBJECT_LOCK(self);
  const Settings& s = *self->settings;
  switch (id) {
    case PROP_VOICE_ID: g_value_set_string(value, s.voice_id.c_str()); break;
    case PROP_MODEL_ID: g_value_set_string(value, s.model_id.c_str()); break;
    case PROP_OUTPUT_FORMAT: g_value_set_string(value, s.output_format.c_str()); break;
    case PROP_URL: g_value_set_string(value, s.url.c_str()); break;
    case PROP_TEXT: g_value_set_string(value, s.text.c_str()); break;
    case PROP_ON_FAILURE: g_value_set_enum(value, s.on_failure); break;
    case PROP_HANGUP_WHEN_DONE: g_value_set_boolean(value, s.hangup_when_done); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_elevenlabs_tts_finalize(GObject* object) {
  auto* self = GST_ELEVENLABS_TTS(object);
  delete self->settings;
  delete self->running_ref;
  G_OBJECT_CLASS(gst_elevenlabs_tts_parent_class)->finalize(object);
}

static void gst_elevenlabs_tts_init(GstElevenLabsTts* self) {
  self->settings = new Settings();
  self->running = nullptr;
  self->running_ref = new std::shared_ptr<Running>();
  self->stream_started = false;
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_elevenlabs_tts_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_elevenlabs_tts_sink_event));
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_elevenlabs_tts_class_init(GstElevenLabsTtsClass* klass) {
  auto* object_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  object_class->set_property = gst_elevenlabs_tts_set_property;
  object_class->get_property = gst_elevenlabs_tts_get_property;
  object_class->finalize = gst_elevenlabs_tts_finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_elevenlabs_tts_change_state);

  constexpr auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      object_class, PROP_API_KEY,
      g_param_spec_string("api-key", "API key",
                          "ElevenLabs API key, sent in the xi-api-key header (write-only; empty: $ELEVENLABS_API_KEY)",
                          nullptr, static_cast<GParamFlags>(G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(object_class, PROP_VOICE_ID,
                                  g_param_spec_string("voice-id", "Voice ID", "The ElevenLabs voice", kDefaultVoiceId, rw));
  g_object_class_install_property(
      object_class, PROP_MODEL_ID,
      g_param_spec_string("model-id", "Model ID", "The ElevenLabs model (empty: the voice's default)", kDefaultModelId, rw));
  g_object_class_install_property(
      object_class, PROP_OUTPUT_FORMAT,
      g_param_spec_string("output-format", "Output format",
                          "ulaw_8000 (audio/x-mulaw) or pcm_8000|16000|22050|24000|44100|48000 (S16LE): the src caps",
                          kDefaultOutputFormat, rw));
  g_object_class_install_property(
      object_class, PROP_URL,
      g_param_spec_string("url", "URL", "WebSocket base URL (empty: $ELEVENLABS_TTS_WS_URL, else wss://api.elevenlabs.io)",
                          nullptr, rw));
  g_object_class_install_property(
      object_class, PROP_TEXT,
      g_param_spec_string("text", "Text",
                          "A fixed text spoken at start (announcements): the whole job, EOS after its audio", nullptr, rw));
  g_object_class_install_property(
      object_class, PROP_ON_FAILURE,
      g_param_spec_enum("on-failure", "On failure",
                        "When ElevenLabs cannot be used: close-call (GST_ELEMENT_ERROR) or continue (a warning)",
                        MEDIAFLOW_TYPE_ON_FAILURE, kDefaultOnFailure, rw));
  g_object_class_install_property(
      object_class, PROP_HANGUP_WHEN_DONE,
      g_param_spec_boolean("hangup-when-done", "Hang up when done",
                           "Post mediaflow-hangup once the audio is out (after EOS on the src pad)", FALSE, rw));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "ElevenLabs text-to-speech", "Source/Audio/Converter",
                                        "Speaks text through ElevenLabs streaming text-to-speech "
                                        "(api-key: $ELEVENLABS_API_KEY; url: $ELEVENLABS_TTS_WS_URL)",
                                        "mediaflow");
  GST_DEBUG_CATEGORY_INIT(gst_elevenlabs_tts_debug, "elevenlabstts", 0, "ElevenLabs text-to-speech");
}
