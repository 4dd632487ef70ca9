/**
 * SECTION:element-elevenlabsagent
 * @title: elevenlabsagent
 *
 * Holds a conversation with an ElevenLabs Conversational AI agent for one call: caller audio
 * arriving on the sink pad goes to the agent as `user_audio_chunk`s, the agent's speech leaves
 * on the src pad, and what the agent says and hears is posted as `mediaflow-agent-event`
 * element messages (schema: docs/agent-events.md; kinds `conversation_started`,
 * `agent_response`, `agent_response_correction`, `user_transcript`, `tool_call`,
 * `interruption`, `heard`).
 *
 * Formats (format-agnostic): the agent's formats are set on the ElevenLabs agent and learnt
 * from `conversation_initiation_metadata` (`ulaw_8000`, `pcm_8000|16000|22050|24000|44100|48000`,
 * either way). The pads keep the caps the pipeline links and the element converts inside
 * (agent_audio_format.hpp: G.711 mu-law ⇄ linear, GstAudioResampler, stateful per call):
 * - sink: the caller's audio as linked (`audio/x-mulaw, rate=8000` or S16LE mono at 8000–48000)
 *   is converted to the agent's input format before each `user_audio_chunk`; caller audio that
 *   arrives before the agent's format is known is held (≈160 kB, oldest dropped);
 * - src: the caps downstream accepts, preferring the agent's own output format, then
 *   `audio/x-mulaw, rate=8000` (a phone line), then S16LE; the agent's audio is converted to it,
 *   streaming (the resampler keeps its history across chunks; an odd byte of PCM waits for its
 *   pair). On the shipped `agent-elevenlabs` pipeline that is mu-law 8 kHz to the caller.
 * When the two formats of a direction are equal the bytes pass unchanged, without a copy
 * (`ulaw_8000` with Twilio: the recommended set-up). The resampler delays audio by a few ms
 * (its filter's half-length); what it still holds at a barge-in is dropped. `conversation_started`
 * says which formats run and whether the element converts, and the same goes down the src pad
 * as a sticky `mediaflow-agent-audio` event (gstutil/agent_audio_event.hpp) for the recording's
 * manifest. Output timestamps continue from the call's running time (the end of the latest
 * caller buffer) and never overlap.
 *
 * Barge-in: on `interruption` (event_id N) the element pushes the out-of-band
 * `mediaflow-interruption` event (twiliosink drops its partial chunk and sends Twilio `clear`)
 * and drops every later `audio` whose event_id ≤ N. After each vendor audio event it sends a
 * serialized `mediaflow-mark` (twiliosink → Twilio `mark`); the transport's echoes come back
 * in-band, as the serialized `mediaflow-mark-echo` event the ingest source sends down the
 * caller's audio to the sink pad, and the element posts `heard` events: how much of each
 * response the caller heard.
 *
 * Failures (refused key or signed URL, handshake refused, vendor close, nothing received for
 * `stall-timeout`, unreadable frames, a format name the element does not know, downstream
 * accepting no format the element can produce): with `on-failure=close-call`
 * (default) one GST_ELEMENT_ERROR — the host closes the call (1011) and finalises recordings
 * through its EOS path; with `on-failure=continue` one GST_ELEMENT_WARNING and the element
 * goes silent (caller audio dropped, no output) until EOS. A conversation cannot be resumed,
 * so the element never reconnects.
 *
 * Threading: the WebSocket lives on the GMainContext chosen at READY→PAUSED
 * (mediaflow/gstutil/loop_context.hpp): the host's call loop, or a private thread when
 * nothing iterates the thread-default context (gst-launch-1.0). Pongs, agent audio, marks,
 * interruptions and EOS on the src pad are all pushed from that context, in order; pings are
 * answered in the same dispatch that received them.
 *
 * ## Example launch line (against the test fake: build/tests/fake-elevenlabs)
 * |[
 * ELEVENLABS_WS_URL=ws://127.0.0.1:8766/v1/convai/conversation \
 * gst-launch-1.0 -m audiotestsrc is-live=true num-buffers=300 ! audioconvert ! \
 *     audio/x-raw,format=S16LE,rate=8000,channels=1 ! mulawenc ! \
 *     elevenlabsagent agent-id=agent_test ! fakesink
 * ]|
 */
#include "gstelevenlabsagent.hpp"

#include "agent_audio_format.hpp"
#include "elevenlabs_protocol.hpp"
#include "elevenlabs_session.hpp"

#include <mediaflow/gstutil/agent_audio_event.hpp>
#include <mediaflow/gstutil/agent_event.hpp>
#include <mediaflow/gstutil/custom_events.hpp>
#include <mediaflow/gstutil/loop_context.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC(gst_elevenlabs_agent_debug);
#define GST_CAT_DEFAULT gst_elevenlabs_agent_debug

namespace el = mediaflow::elevenlabs;
namespace gu = mediaflow::gstutil;
namespace mp = mediaflow::protocol;

typedef enum {
  GST_ELEVENLABS_ON_FAILURE_CLOSE_CALL,
  GST_ELEVENLABS_ON_FAILURE_CONTINUE,
} GstElevenLabsOnFailure;

#define GST_TYPE_ELEVENLABS_ON_FAILURE (gst_elevenlabs_on_failure_get_type())
static GType gst_elevenlabs_on_failure_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_ELEVENLABS_ON_FAILURE_CLOSE_CALL, "Post an error: the host ends the call", "close-call"},
      {GST_ELEVENLABS_ON_FAILURE_CONTINUE, "Post a warning and go silent: the call goes on", "continue"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstElevenLabsOnFailure", values));
  return type;
}

namespace {

constexpr const char* kVendor = "elevenlabs";
constexpr const char* kDefaultWsUrl = "wss://api.elevenlabs.io/v1/convai/conversation";
constexpr const char* kDefaultApiUrl = "https://api.elevenlabs.io";
constexpr guint kDefaultStallTimeoutMs = 20000;
constexpr guint kDefaultConnectTimeoutS = 10;
constexpr GstElevenLabsOnFailure kDefaultOnFailure = GST_ELEVENLABS_ON_FAILURE_CLOSE_CALL;
// Client tools need code on our side; until the host offers some, say so at once rather
// than leave the agent waiting.
constexpr const char* kNoClientTools = "client tools are not available on this phone line";

enum {
  PROP_0,
  PROP_AGENT_ID,
  PROP_API_KEY,
  PROP_WS_URL,
  PROP_API_URL,
  PROP_DYNAMIC_VARIABLES,
  PROP_FIRST_MESSAGE,
  PROP_LANGUAGE,
  PROP_ON_FAILURE,
  PROP_STALL_TIMEOUT,
  PROP_CONNECT_TIMEOUT,
};

// What exists only between READY→PAUSED and PAUSED→READY.
struct Running {
  std::unique_ptr<gu::LoopContext> loop;
  std::shared_ptr<el::Session> session;
  GstElevenLabsOnFailure on_failure = kDefaultOnFailure;

  // Streaming thread → loop (atomics: read on the loop).
  std::atomic<guint64> input_end_ns{0};  // running time of the end of the latest caller buffer

  // Loop-only state.
  bool silent = false;  // failed in continue mode, or ended
  // Formats (agent_audio_format.hpp): the caller's (sink caps, set on the loop in stream order),
  // the agent's (conversation_initiation_metadata) and the src pad's (chosen from what
  // downstream accepts when the agent's are known). One converter per direction.
  std::optional<el::AudioFormat> caller_format;
  std::optional<el::AudioFormat> agent_input;
  std::optional<el::AudioFormat> output_format;
  std::optional<el::AudioFormat> src_format;
  el::AudioFormatConverter to_agent;
  el::AudioFormatConverter from_agent;
  std::vector<std::uint8_t> held;  // caller audio (caller_format) until the agent's format is known
  std::string conversation_id;
  bool started_posted = false;  // conversation_started (needs both the agent's and the caller's formats)
  bool src_started = false;  // stream-start/caps/segment pushed
  bool eos_pushed = false;
  guint64 next_pts = 0;
  bool interrupted_once = false;
  guint64 interrupted_up_to = 0;
  guint64 dropped_stale = 0;

  // Mark tracking: loop (marks sent) and the sink pad's streaming thread (echoes).
  std::mutex heard_lock;
  std::unique_ptr<mp::HeardTracker> heard;
};

}  // namespace

struct _GstElevenLabsAgent {
  GstElement parent;
  GstPad* sinkpad;
  GstPad* srcpad;
  // Settings (GST_OBJECT_LOCK).
  gchar* agent_id;
  gchar* api_key;
  gchar* ws_url;
  gchar* api_url;
  gchar* dynamic_variables;
  gchar* first_message;
  gchar* language;
  GstElevenLabsOnFailure on_failure;
  guint stall_timeout;
  guint connect_timeout;
  // State (see Running); the pointer is set/cleared in state changes only.
  Running* running;
};

G_DEFINE_TYPE(GstElevenLabsAgent, gst_elevenlabs_agent, GST_TYPE_ELEMENT)
GST_ELEMENT_REGISTER_DEFINE(elevenlabsagent, "elevenlabsagent", GST_RANK_NONE, GST_TYPE_ELEVENLABS_AGENT)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-mulaw, rate=(int)8000, channels=(int)1; "
                    "audio/x-raw, format=(string)S16LE, rate=(int){ 8000, 16000, 22050, 24000, 44100, 48000 }, "
                    "channels=(int)1, layout=(string)interleaved"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-mulaw, rate=(int)8000, channels=(int)1; "
                    "audio/x-raw, format=(string)S16LE, rate=(int){ 8000, 16000, 22050, 24000, 44100, 48000 }, "
                    "channels=(int)1, layout=(string)interleaved"));

namespace {

std::string setting_or_env(const gchar* value, const char* env, const char* fallback) {
  if (value && *value) return value;
  const char* e = g_getenv(env);
  if (e && *e) return e;
  return fallback ? fallback : "";
}

// Caller audio held before the agent's input format is known (the session holds audio until
// its socket opens, but the metadata comes after that): about 10 s of mu-law 8 kHz.
constexpr std::size_t kHeldLimitBytes = 160000;

GstStructure* agent_event(const char* kind, const std::string& text) { return gu::make_agent_event(kVendor, kind, text); }

void post(GstElevenLabsAgent* self, GstStructure* s) {
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

void post_heard(GstElevenLabsAgent* self, const mp::Heard& h) { post(self, gu::make_heard_event(kVendor, h)); }

// On the loop. Reports once; in continue mode the element goes silent.
void fail(GstElevenLabsAgent* self, const std::string& why) {
  Running* run = self->running;
  if (!run || run->silent) return;
  run->silent = true;
  if (run->session) run->session->shutdown();
  if (run->on_failure == GST_ELEVENLABS_ON_FAILURE_CONTINUE) {
    GST_ELEMENT_WARNING(self, RESOURCE, OPEN_READ_WRITE, ("Voice agent unavailable: %s", why.c_str()),
                        ("on-failure=continue: the call goes on without the agent"));
  } else {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ_WRITE, ("Voice agent unavailable: %s", why.c_str()),
                      ("on-failure=close-call"));
  }
}

// On the loop. The agent closed the conversation normally (it said goodbye): tell the host to
// hang up (`mediaflow-hangup`, see docs/architecture.md) rather than report a failure. The host
// finishes the call, so what the agent already sent is flushed to the caller first.
void conversation_ended(GstElevenLabsAgent* self) {
  Running* run = self->running;
  if (!run || run->silent) return;
  run->silent = true;
  post(self, agent_event("conversation_ended", ""));
  post(self, gst_structure_new("mediaflow-hangup", "reason", G_TYPE_STRING, "agent ended the conversation", nullptr));
}

// On the loop: caller audio (in caller_format) to the agent, in its input format. Before the
// agent's format is known it is held (bounded, oldest dropped).
void send_caller_audio(GstElevenLabsAgent* self, Running* run, std::span<const std::uint8_t> bytes) {
  if (run->silent || !run->session || bytes.empty()) return;
  if (!run->agent_input || !run->caller_format) {
    run->held.insert(run->held.end(), bytes.begin(), bytes.end());
    if (run->held.size() > kHeldLimitBytes)
      run->held.erase(run->held.begin(), run->held.begin() + std::ptrdiff_t(run->held.size() - kHeldLimitBytes));
    return;
  }
  if (!run->to_agent.configured() || !(run->to_agent.from() == *run->caller_format) ||
      !(run->to_agent.to() == *run->agent_input)) {
    if (!run->to_agent.configure(*run->caller_format, *run->agent_input)) {
      fail(self, "cannot convert " + el::audio_format_name(*run->caller_format) + " caller audio to " +
                     el::audio_format_name(*run->agent_input));
      return;
    }
  }
  // Already in the agent's format: the bytes as they came (the mu-law passthrough).
  const auto out = run->to_agent.passthrough() ? bytes : run->to_agent.convert(bytes);
  if (!out.empty()) run->session->send_audio(out.data(), out.size());
}

void start_src(GstElevenLabsAgent* self, Running* run);

// On the loop, once the agent's formats and the caller's are known: which formats run, and
// whether the element converts (docs/agent-events.md).
void post_conversation_started(GstElevenLabsAgent* self, Running* run) {
  if (run->started_posted || !run->agent_input || !run->output_format || !run->caller_format || !run->src_format)
    return;
  run->started_posted = true;
  GST_INFO_OBJECT(self, "conversation %s: caller %s → agent in %s; agent out %s → src %s", run->conversation_id.c_str(),
                  el::audio_format_name(*run->caller_format).c_str(), el::audio_format_name(*run->agent_input).c_str(),
                  el::audio_format_name(*run->output_format).c_str(), el::audio_format_name(*run->src_format).c_str());
  GstStructure* s = agent_event("conversation_started", "");
  gst_structure_set(s, "conversation-id", G_TYPE_STRING, run->conversation_id.c_str(), "agent-output-format",
                    G_TYPE_STRING, el::audio_format_name(*run->output_format).c_str(), "user-input-format",
                    G_TYPE_STRING, el::audio_format_name(*run->agent_input).c_str(), "sink-format", G_TYPE_STRING,
                    el::audio_format_name(*run->caller_format).c_str(), "src-format", G_TYPE_STRING,
                    el::audio_format_name(*run->src_format).c_str(), "input-converted", G_TYPE_BOOLEAN,
                    gboolean(!(*run->caller_format == *run->agent_input)), "output-converted", G_TYPE_BOOLEAN,
                    gboolean(!(*run->src_format == *run->output_format)), nullptr);
  post(self, s);
  // The same, along the agent's audio: the recorder puts it in the manifest (agent_audio).
  start_src(self, run);
  mediaflow::protocol::AgentAudio formats{kVendor,
                                          el::audio_format_name(*run->agent_input),
                                          el::audio_format_name(*run->output_format),
                                          el::audio_format_name(*run->caller_format),
                                          el::audio_format_name(*run->src_format),
                                          !(*run->caller_format == *run->agent_input),
                                          !(*run->src_format == *run->output_format)};
  gst_pad_push_event(self->srcpad, gu::make_agent_audio_event(formats));
}

// On the loop: the caller's format (sink caps), in stream order with its buffers.
void set_caller_format(GstElevenLabsAgent* self, const el::AudioFormat& f) {
  Running* run = self->running;
  if (!run) return;
  if (run->caller_format && !(*run->caller_format == f)) run->held.clear();  // not this format's bytes
  run->caller_format = f;
  if (run->agent_input && !run->held.empty()) {
    std::vector<std::uint8_t> held;
    held.swap(run->held);
    send_caller_audio(self, run, held);
  }
  post_conversation_started(self, run);
}

// On the loop.
void start_src(GstElevenLabsAgent* self, Running* run) {
  if (run->src_started) return;
  run->src_started = true;
  gchar* id = gst_pad_create_stream_id(self->srcpad, GST_ELEMENT(self), "agent");
  GstEvent* ss = gst_event_new_stream_start(id);
  gst_event_set_group_id(ss, gst_util_group_id_next());
  g_free(id);
  gst_pad_push_event(self->srcpad, ss);
  if (run->src_format) {
    GstCaps* caps = gst_caps_from_string(el::caps_string(*run->src_format).c_str());
    gst_pad_push_event(self->srcpad, gst_event_new_caps(caps));
    gst_caps_unref(caps);
  }
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_pad_push_event(self->srcpad, gst_event_new_segment(&segment));
}

void handle_audio(GstElevenLabsAgent* self, Running* run, el::Audio& audio) {
  if (run->interrupted_once && audio.event_id <= run->interrupted_up_to) {
    ++run->dropped_stale;  // spoken before the barge-in: never play it
    return;
  }
  if (!run->output_format || audio.data.empty()) {
    GST_WARNING_OBJECT(self, "agent audio before the conversation metadata: dropped");
    return;
  }
  start_src(self, run);
  const el::AudioFormat& f = *run->src_format;
  GstBuffer* buffer = nullptr;
  if (run->from_agent.passthrough()) {
    // Already in the src format (ulaw_8000 to a phone line): the vendor's bytes, no copy.
    const std::size_t size = audio.data.size();
    auto* bytes = new std::vector<std::uint8_t>(std::move(audio.data));
    buffer = gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, bytes->data(), size, 0, size, bytes,
                                         [](gpointer d) { delete static_cast<std::vector<std::uint8_t>*>(d); });
  } else {
    const auto out = run->from_agent.convert(audio.data);
    if (!out.empty()) {
      buffer = gst_buffer_new_allocate(nullptr, out.size(), nullptr);
      gst_buffer_fill(buffer, 0, out.data(), out.size());
    }
  }
  guint64 duration = 0;
  if (buffer) {
    duration = gst_util_uint64_scale(gst_buffer_get_size(buffer), GST_SECOND, guint64(f.bytes_per_second()));
    const guint64 now = run->input_end_ns.load();
    const guint64 pts = std::max(run->next_pts, now);
    run->next_pts = pts + duration;
    GST_BUFFER_PTS(buffer) = pts;
    GST_BUFFER_DURATION(buffer) = duration;
    const GstFlowReturn ret = gst_pad_push(self->srcpad, buffer);
    if (ret != GST_FLOW_OK && ret != GST_FLOW_FLUSHING) GST_DEBUG_OBJECT(self, "push: %s", gst_flow_get_name(ret));
  }
  std::string mark;
  {
    std::lock_guard lock(run->heard_lock);
    mark = run->heard->next_mark(audio.event_id, duration);
  }
  gst_pad_push_event(self->srcpad, gu::make_mark_event(mark));
}

void handle_interruption(GstElevenLabsAgent* self, Running* run, std::uint64_t event_id) {
  run->interrupted_once = true;
  run->interrupted_up_to = std::max<guint64>(run->interrupted_up_to, event_id);
  // Out-of-band: overtakes anything downstream still holds; twiliosink sends `clear`.
  gst_pad_push_event(self->srcpad, gu::make_interruption_event(event_id));
  // What was scheduled ahead of the call's time was cleared: new speech starts now.
  run->next_pts = std::min(run->next_pts, run->input_end_ns.load());
  run->from_agent.reset();  // what the resampler still holds is stale too
  std::vector<mp::Heard> cut;
  {
    std::lock_guard lock(run->heard_lock);
    cut = run->heard->on_interruption();
  }
  GstStructure* s = agent_event("interruption", "");
  gst_structure_set(s, "event-id", G_TYPE_UINT64, guint64(event_id), nullptr);
  post(self, s);
  for (const auto& h : cut) post_heard(self, h);
}

// On the loop: one server message.
void handle_message(GstElevenLabsAgent* self, const el::ServerMessage& const_message) {
  Running* run = self->running;
  if (!run || run->silent) return;
  auto& m = const_cast<el::ServerMessage&>(const_message);  // audio bytes are moved into the buffer
  if (auto* a = std::get_if<el::Audio>(&m)) {
    handle_audio(self, run, *a);
  } else if (const auto* i = std::get_if<el::Interruption>(&m)) {
    handle_interruption(self, run, i->event_id);
  } else if (const auto* md = std::get_if<el::InitiationMetadata>(&m)) {
    if (!md->agent_output) {
      fail(self, "unsupported agent output format \"" + md->agent_output_name.substr(0, 32) + "\"");
      return;
    }
    if (!md->user_input) {
      fail(self, "unsupported agent input format \"" + md->user_input_name.substr(0, 32) + "\"");
      return;
    }
    if (run->output_format && !(*run->output_format == *md->agent_output)) {
      fail(self, "the agent changed its output format mid-conversation");
      return;
    }
    if (!run->output_format) {
      // The src pad keeps what the pipeline links; the agent's audio is converted to it.
      GstCaps* tmpl = gst_pad_get_pad_template_caps(self->srcpad);
      GstCaps* allowed = gst_pad_peer_query_caps(self->srcpad, tmpl);
      gst_caps_unref(tmpl);
      run->src_format = el::choose_output_format(*md->agent_output, allowed);
      if (!run->src_format) {
        gchar* text = gst_caps_to_string(allowed);
        const std::string why = "downstream accepts none of the audio formats this element produces (" +
                                std::string(text ? text : "") + ")";
        g_free(text);
        gst_caps_unref(allowed);
        fail(self, why);
        return;
      }
      gst_caps_unref(allowed);
      if (!run->from_agent.configure(*md->agent_output, *run->src_format)) {
        fail(self, "cannot convert " + el::audio_format_name(*md->agent_output) + " agent audio to " +
                       el::audio_format_name(*run->src_format));
        return;
      }
    }
    run->output_format = md->agent_output;
    run->agent_input = md->user_input;
    run->conversation_id = md->conversation_id;
    if (run->caller_format && !run->held.empty()) {
      std::vector<std::uint8_t> held;
      held.swap(run->held);
      send_caller_audio(self, run, held);
    }
    post_conversation_started(self, run);
  } else if (const auto* r = std::get_if<el::AgentResponse>(&m)) {
    post(self, agent_event("agent_response", r->text));
  } else if (const auto* c = std::get_if<el::AgentResponseCorrection>(&m)) {
    GstStructure* s = agent_event("agent_response_correction", c->corrected);
    gst_structure_set(s, "original", G_TYPE_STRING, c->original.c_str(), "corrected", G_TYPE_STRING,
                      c->corrected.c_str(), nullptr);
    post(self, s);
  } else if (const auto* u = std::get_if<el::UserTranscript>(&m)) {
    post(self, agent_event("user_transcript", u->text));
  } else if (const auto* t = std::get_if<el::ClientToolCall>(&m)) {
    GstStructure* s = agent_event("tool_call", "");
    gst_structure_set(s, "tool-name", G_TYPE_STRING, t->tool_name.c_str(), "tool-call-id", G_TYPE_STRING,
                      t->tool_call_id.c_str(), "tool-params", G_TYPE_STRING, t->parameters_json.c_str(), nullptr);
    post(self, s);
    run->session->send_text(el::encode_client_tool_result(t->tool_call_id, kNoClientTools, true));
  } else if (const auto* e = std::get_if<el::ServerError>(&m)) {
    // ElevenLabs' own error text (no audio, no transcript); the close that follows, if any,
    // is the failure.
    GST_WARNING_OBJECT(self, "agent error %d (%s): %s", e->code, e->error_type.c_str(), e->message.c_str());
  } else if (const auto* unk = std::get_if<el::Unknown>(&m)) {
    GST_DEBUG_OBJECT(self, "ignoring message of type %s", unk->type.substr(0, 64).c_str());
  }
}

// On the loop: the caller's side ended.
void finish_output(GstElevenLabsAgent* self) {
  Running* run = self->running;
  if (!run || run->eos_pushed) return;
  run->eos_pushed = true;
  run->silent = true;
  if (run->session) run->session->shutdown();
  start_src(self, run);
  gst_pad_push_event(self->srcpad, gst_event_new_eos());
}

// A transport's mark echo (the `mediaflow-mark-echo` event on the sink pad: the streaming thread).
void on_mark_echo(GstElevenLabsAgent* self, Running* run, const std::string& name) {
  std::optional<mp::Heard> heard;
  {
    std::lock_guard lock(run->heard_lock);
    heard = run->heard->on_echo(name);
  }
  if (heard) post_heard(self, *heard);
}

}  // namespace

static bool start_running(GstElevenLabsAgent* self) {
  auto* run = new Running();
  el::SessionConfig config;
  std::string variables;
  GST_OBJECT_LOCK(self);
  config.agent_id = setting_or_env(self->agent_id, "ELEVENLABS_AGENT_ID", nullptr);
  config.api_key = setting_or_env(self->api_key, "ELEVENLABS_API_KEY", nullptr);
  config.ws_url = setting_or_env(self->ws_url, "ELEVENLABS_WS_URL", kDefaultWsUrl);
  config.api_url = setting_or_env(self->api_url, "ELEVENLABS_API_URL", kDefaultApiUrl);
  variables = self->dynamic_variables ? self->dynamic_variables : "";
  config.initiation.first_message = self->first_message ? self->first_message : "";
  config.initiation.language = self->language ? self->language : "";
  config.stall_timeout_ms = self->stall_timeout;
  config.connect_timeout_s = self->connect_timeout;
  run->on_failure = self->on_failure;
  GST_OBJECT_UNLOCK(self);
  std::vector<std::string> bad;
  config.initiation.dynamic_variables = el::parse_variable_list(variables, &bad);
  if (!bad.empty())
    GST_WARNING_OBJECT(self, "dynamic-variables: %zu entries without \"key=\" ignored", bad.size());
  run->heard = std::make_unique<mp::HeardTracker>(std::string("el-") + GST_OBJECT_NAME(self) + "-");
  run->loop = std::make_unique<gu::LoopContext>("elevenlabsagent");
  self->running = run;

  if (config.agent_id.empty()) {
    run->loop->invoke([self] { fail(self, "no agent id (set agent-id or ELEVENLABS_AGENT_ID)"); });
    return true;
  }
  el::SessionEvents events;
  events.owner = std::shared_ptr<void>(gst_object_ref(self), gst_object_unref);
  events.message = [self](const el::ServerMessage& m) { handle_message(self, m); };
  events.failed = [self](const std::string& why) { fail(self, why); };
  events.ended = [self] { conversation_ended(self); };
  run->session = el::Session::create(std::move(config), std::move(events));
  run->loop->invoke([s = run->session] { s->start(); });
  return true;
}

static void stop_running(GstElevenLabsAgent* self) {
  Running* run = self->running;
  if (!run) return;
  if (run->session) {
    run->loop->invoke([s = run->session] { s->shutdown(); });
    run->session.reset();
  }
  run->loop.reset();  // a private thread runs the shutdown above, then is joined
  self->running = nullptr;
  if (run->dropped_stale) GST_INFO_OBJECT(self, "%" G_GUINT64_FORMAT " stale agent audio events dropped", run->dropped_stale);
  delete run;
}

static GstStateChangeReturn gst_elevenlabs_agent_change_state(GstElement* element, GstStateChange transition) {
  auto* self = GST_ELEVENLABS_AGENT(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !start_running(self)) return GST_STATE_CHANGE_FAILURE;
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_elevenlabs_agent_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) stop_running(self);
  // A live conversation: no preroll.
  if (ret == GST_STATE_CHANGE_SUCCESS &&
      (transition == GST_STATE_CHANGE_READY_TO_PAUSED || transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED))
    ret = GST_STATE_CHANGE_NO_PREROLL;
  return ret;
}

static GstFlowReturn gst_elevenlabs_agent_chain(GstPad*, GstObject* parent, GstBuffer* buffer) {
  auto* self = GST_ELEVENLABS_AGENT(parent);
  Running* run = self->running;
  if (!run) {
    gst_buffer_unref(buffer);
    return GST_FLOW_FLUSHING;
  }
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  if (GstEvent* seg = gst_pad_get_sticky_event(self->sinkpad, GST_EVENT_SEGMENT, 0)) {
    gst_event_copy_segment(seg, &segment);
    gst_event_unref(seg);
  }
  if (GST_BUFFER_PTS_IS_VALID(buffer)) {
    guint64 end = gst_segment_to_running_time(&segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
    if (GST_CLOCK_TIME_IS_VALID(end)) {
      if (GST_BUFFER_DURATION_IS_VALID(buffer)) end += GST_BUFFER_DURATION(buffer);
      run->input_end_ns.store(end);
    }
  }
  // Inline on the call loop (the host); queued from other streaming threads.
  run->loop->invoke([self, buffer] {
    Running* r = self->running;
    if (r && !r->silent && r->session) {
      GstMapInfo map;
      if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
        send_caller_audio(self, r, {map.data, map.size});
        gst_buffer_unmap(buffer, &map);
      }
    }
    gst_buffer_unref(buffer);
  });
  return GST_FLOW_OK;
}

static gboolean gst_elevenlabs_agent_sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  auto* self = GST_ELEVENLABS_AGENT(parent);
  Running* run = self->running;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps* caps;
      gst_event_parse_caps(event, &caps);
      const auto f = el::format_from_caps(caps);  // the template admits nothing else
      if (run && f) run->loop->invoke([self, format = *f] { set_caller_format(self, format); });
      gst_event_unref(event);
      return f.has_value();
    }
    case GST_EVENT_EOS:
      if (run) run->loop->invoke([self] { finish_output(self); });
      gst_event_unref(event);
      return TRUE;
    case GST_EVENT_CUSTOM_DOWNSTREAM: {
      std::string mark;
      if (!gu::parse_mark_echo_event(event, &mark)) break;
      if (run) on_mark_echo(self, run, mark);
      gst_event_unref(event);
      return TRUE;
    }
    case GST_EVENT_STREAM_START:
    case GST_EVENT_SEGMENT:
    case GST_EVENT_FLUSH_START:
    case GST_EVENT_FLUSH_STOP:
      // The src pad has a stream of its own (the agent's), started when it first speaks.
      gst_event_unref(event);
      return TRUE;
    default:
      break;
  }
  return gst_pad_event_default(pad, parent, event);
}

static void replace_string(gchar** field, const GValue* value) {
  g_free(*field);
  *field = g_value_dup_string(value);
}

static void gst_elevenlabs_agent_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_ELEVENLABS_AGENT(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_AGENT_ID: replace_string(&self->agent_id, value); break;
    case PROP_API_KEY: replace_string(&self->api_key, value); break;
    case PROP_WS_URL: replace_string(&self->ws_url, value); break;
    case PROP_API_URL: replace_string(&self->api_url, value); break;
    case PROP_DYNAMIC_VARIABLES: replace_string(&self->dynamic_variables, value); break;
    case PROP_FIRST_MESSAGE: replace_string(&self->first_message, value); break;
    case PROP_LANGUAGE: replace_string(&self->language, value); break;
    case PROP_ON_FAILURE: self->on_failure = static_cast<GstElevenLabsOnFailure>(g_value_get_enum(value)); break;
    case PROP_STALL_TIMEOUT: self->stall_timeout = g_value_get_uint(value); break;
    case PROP_CONNECT_TIMEOUT: self->connect_timeout = g_value_get_uint(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_elevenlabs_agent_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_ELEVENLABS_AGENT(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_AGENT_ID: g_value_set_string(value, self->agent_id); break;
    case PROP_WS_URL: g_value_set_string(value, self->ws_url); break;
    case PROP_API_URL: g_value_set_string(value, self->api_url); break;
    case PROP_DYNAMIC_VARIABLES: g_value_set_string(value, self->dynamic_variables); break;
    case PROP_FIRST_MESSAGE: g_value_set_string(value, self->first_message); break;
    case PROP_LANGUAGE: g_value_set_string(value, self->language); break;
    case PROP_ON_FAILURE: g_value_set_enum(value, self->on_failure); break;
    case PROP_STALL_TIMEOUT: g_value_set_uint(value, self->stall_timeout); break;
    case PROP_CONNECT_TIMEOUT: g_value_set_uint(value, self->connect_timeout); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_elevenlabs_agent_finalize(GObject* object) {
  auto* self = GST_ELEVENLABS_AGENT(object);
  g_free(self->agent_id);
  g_free(self->api_key);
  g_free(self->ws_url);
  g_free(self->api_url);
  g_free(self->dynamic_variables);
  g_free(self->first_message);
  g_free(self->language);
  G_OBJECT_CLASS(gst_elevenlabs_agent_parent_class)->finalize(object);
}

static void gst_elevenlabs_agent_init(GstElevenLabsAgent* self) {
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_elevenlabs_agent_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_elevenlabs_agent_sink_event));
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
  self->on_failure = kDefaultOnFailure;
  self->stall_timeout = kDefaultStallTimeoutMs;
  self->connect_timeout = kDefaultConnectTimeoutS;
}

static void gst_elevenlabs_agent_class_init(GstElevenLabsAgentClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = gst_elevenlabs_agent_set_property;
  gobject_class->get_property = gst_elevenlabs_agent_get_property;
  gobject_class->finalize = gst_elevenlabs_agent_finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_elevenlabs_agent_change_state);
  constexpr auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  g_object_class_install_property(
      gobject_class, PROP_AGENT_ID,
      g_param_spec_string("agent-id", "Agent ID", "ElevenLabs agent (default: $ELEVENLABS_AGENT_ID)", nullptr, rw));
  // Write-only: a secret is never read back (gst-inspect, launch lines, logs). Set: the
  // private-agent flow (get-signed-url with xi-api-key, then the signed URL).
  g_object_class_install_property(
      gobject_class, PROP_API_KEY,
      g_param_spec_string("api-key", "API key",
                          "ElevenLabs API key (default: $ELEVENLABS_API_KEY); set: connect through a signed URL",
                          nullptr,
                          static_cast<GParamFlags>(G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));
  // Base URLs: the element appends agent_id (and the REST path).
  g_object_class_install_property(
      gobject_class, PROP_WS_URL,
      g_param_spec_string("ws-url", "WebSocket URL",
                          "Conversation endpoint (default: $ELEVENLABS_WS_URL, else "
                          "wss://api.elevenlabs.io/v1/convai/conversation)",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_API_URL,
      g_param_spec_string("api-url", "API URL",
                          "REST base for get-signed-url (default: $ELEVENLABS_API_URL, else https://api.elevenlabs.io)",
                          nullptr, rw));
  // Values are typed like JSON by their text: true/false → boolean, plain numbers → number.
  // A ';' cannot appear inside a value.
  g_object_class_install_property(
      gobject_class, PROP_DYNAMIC_VARIABLES,
      g_param_spec_string("dynamic-variables", "Dynamic variables",
                          "Agent dynamic variables as \"key=value;key2=value2\" (e.g. user_name=${param.user_name})",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_FIRST_MESSAGE,
      g_param_spec_string("first-message", "First message",
                          "Override of the agent's first message (empty: the agent's own)", nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_LANGUAGE,
      g_param_spec_string("language", "Language", "Override of the agent's language (empty: the agent's own)",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_ON_FAILURE,
      g_param_spec_enum("on-failure", "On failure",
                        "When the agent cannot be used: end the call (error) or go on without it (warning)",
                        GST_TYPE_ELEVENLABS_ON_FAILURE, kDefaultOnFailure, rw));
  // ElevenLabs pings every few seconds during a conversation.
  g_object_class_install_property(
      gobject_class, PROP_STALL_TIMEOUT,
      g_param_spec_uint("stall-timeout", "Stall timeout",
                        "Milliseconds without any message from ElevenLabs after which the agent is given up",
                        100, 600000, kDefaultStallTimeoutMs, rw));
  g_object_class_install_property(
      gobject_class, PROP_CONNECT_TIMEOUT,
      g_param_spec_uint("connect-timeout", "Connect timeout", "Seconds allowed for the signed-URL request and the handshake",
                        1, 120, kDefaultConnectTimeoutS, rw));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "ElevenLabs voice agent", "Filter/Audio/Network",
                                        "Talks to an ElevenLabs Conversational AI agent: caller audio in, agent "
                                        "audio out, with barge-in",
                                        "mediaflow");
  gst_type_mark_as_plugin_api(GST_TYPE_ELEVENLABS_ON_FAILURE, static_cast<GstPluginAPIFlags>(0));
  GST_DEBUG_CATEGORY_INIT(gst_elevenlabs_agent_debug, "elevenlabsagent", 0, "ElevenLabs voice agent");
}
