/**
 * SECTION:element-espeakagent
 * @title: espeakagent
 *
 * An offline voice agent for one call, with no network: it greets the caller, answers every
 * caller utterance the call's ASR recognised ("You said yes."), and stops talking when the
 * caller barges in. Speech is synthesised by espeak-ng.
 *
 * Input: caller audio on `sink` (the call's clock: agent audio is timed and paced by it), and
 * what the caller said on `transcript` (`text/x-mediaflow-transcript`: an ASR's `transcript`
 * pad, linked in the pipeline file, e.g. `asr.transcript → agent.transcript`).
 * Output: agent speech on `src`, `audio/x-raw, format=S16LE, rate=<rate>, channels=1` —
 * `rate` defaults to espeak-ng's own 22050 Hz; a call pipeline sets the rate it needs (8000
 * for `mulawenc ! twiliosink`) and needs no resampler per call. Sentences are synthesised
 * and resampled once per process and shared by every call (speech_cache.hpp: an agent says
 * the same few sentences in every call), PTS in
 * call time continuing from the caller audio's running time, never overlapping. Audio is
 * pushed from the sink's chain, at most 200 ms ahead of the caller audio, so with the host's
 * inline pushes everything leaves on the call loop; between utterances nothing is pushed.
 *
 * What the caller said: the buffers on `transcript`, one result of the transcript schema each
 * (docs/transcript-schema.md, gstutil/transcript_stream.hpp), from whichever ASR element the
 * pipeline links there (sphinxasr, deepgramasr, …). Without that link the agent only greets:
 * it never reads the bus.
 *  - final `mediaflow-transcript`s are joined until `end-of-utterance` (or a
 *    `mediaflow-utterance-end`), then answered with `reply-template`;
 *  - `mediaflow-speech-started` while the agent is talking is a barge-in: queued agent
 *    audio and pending replies are dropped and the out-of-band `mediaflow-interruption`
 *    event goes downstream (twiliosink sends Twilio `clear`).
 *
 * Messages (`mediaflow-agent-event`, docs/agent-events.md; `vendor` = `espeak`):
 * `conversation_started` (when the caller's audio format is known), `agent_response` (text
 * of each greeting/answer once synthesised), `user_transcript` (what it answers),
 * `interruption` {event-id u64: the agent utterance cut off}, `heard` {event-id, heard-ms,
 * sent-ms, interrupted}.
 *
 * What the caller heard: after every 500 ms of an utterance's audio, and after its last
 * sample, a serialized `mediaflow-mark` goes downstream (twiliosink sends a Twilio `mark`,
 * named `espeak-<element name>-<n>`); 20 ms of silence follow each utterance so that an
 * encoder holding events until its next buffer (mulawenc) lets the last mark through. The
 * call's ingest sends the transport's echo down the caller's audio as the serialized
 * `mediaflow-mark-echo` event (through tee and converters); the agent reads it on `sink` and
 * posts `heard` (utterances are numbered from 1, the same ids as `interruption`).
 *
 * Threading: a sentence already in the process's speech cache is queued for playing at once,
 * on the thread that asked for it (no thread involved: the steady state). Any other sentence
 * goes to the process-wide synthesis pool (synthesis_pool.hpp: one thread shared by every
 * espeakagent of the process, started by the first sentence to synthesise; espeak-ng is
 * process-global and serialised by a mutex), one sentence per turn, so a call's utterances
 * keep their order. The transcript pad's chain runs on the ASR's pushing thread (the sphinx
 * decoder pool's, a vendor ASR's loop) and only queues work; the audio chain never waits for
 * synthesis. A sentence finishing after its element stopped is
 * dropped: the pool holds the conversation, not the element.
 *
 * ## Example launch lines
 * Agent audio to a WAV; no ASR, so it only greets:
 * |[
 * GST_PLUGIN_PATH=build/plugins gst-launch-1.0 audiotestsrc wave=silence num-buffers=200 ! \
 *     audio/x-raw,format=S16LE,rate=16000,channels=1 ! espeakagent greeting="Hello there" ! \
 *     audioconvert ! wavenc ! filesink location=/tmp/agent.wav
 * ]|
 * A spoken "yes" heard by sphinxasr and answered (the transcript link is `asr.transcript !
 * agent.transcript`):
 * |[
 * espeak-ng -w /tmp/yes.wav "yes"
 * GST_PLUGIN_PATH=build/plugins gst-launch-1.0 \
 *     espeakagent name=agent ! audioconvert ! wavenc ! filesink location=/tmp/agent.wav \
 *     filesrc location=/tmp/yes.wav ! wavparse ! audioconvert ! audioresample ! \
 *     audio/x-raw,format=S16LE,rate=16000,channels=1 ! tee name=caller \
 *     caller. ! queue ! sphinxasr name=asr keywords="yes, no" caller. ! queue ! agent.sink \
 *     asr.transcript ! agent.transcript
 * ]|
 */
#include "gstespeakagent.hpp"

#include "espeak_synth.hpp"
#include "speech_cache.hpp"
#include "synthesis_pool.hpp"

#include <mediaflow/gstutil/agent_event.hpp>
#include <mediaflow/gstutil/custom_events.hpp>
#include <mediaflow/gstutil/transcript_stream.hpp>
#include <mediaflow/protocol/heard_tracker.hpp>

#include <gst/audio/audio.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC(gst_espeak_agent_debug);
#define GST_CAT_DEFAULT gst_espeak_agent_debug

namespace oa = mediaflow::offline_agent;
namespace mp = mediaflow::protocol;

namespace {

constexpr const char* kVendor = "espeak";
constexpr const char* kDefaultGreeting = "Hello. Please say yes or no.";
constexpr const char* kDefaultReplyTemplate = "You said {text}.";
constexpr const char* kDefaultVoice = "en-us";
constexpr gint kDefaultWordsPerMinute = 170;
constexpr GstClockTime kLead = 200 * GST_MSECOND;  // agent audio pushed ahead of the caller's
constexpr guint kDefaultRate = oa::kEspeakRate;
constexpr GstClockTime kMarkEvery = 500 * GST_MSECOND;  // a mark per 500 ms of speech

enum {
  PROP_0,
  PROP_GREETING,
  PROP_REPLY_TEMPLATE,
  PROP_VOICE,
  PROP_WORDS_PER_MINUTE,
  PROP_RATE,
};

// The speech, then one chunk (20 ms) of silence: encoders built on GstAudioEncoder (mulawenc)
// hold a serialized event until their next output buffer, so the mark after the last word
// needs audio behind it to reach twiliosink before the next utterance.
struct Utterance {
  Utterance(guint64 utterance_id, oa::SharedSamples speech, std::size_t silence_samples)
      : id(utterance_id), samples(std::move(speech)), speech_end(samples->size()),
        total(speech_end + silence_samples) {}
  guint64 id;
  oa::SharedSamples samples;  // shared with every call saying the same sentence
  std::size_t speech_end;     // samples of speech (the trailing silence is not stored)
  std::size_t total;          // speech + trailing silence
  std::size_t pos = 0;        // next sample to push
  std::size_t marked = 0;     // samples of speech followed by a mark so far
};

struct Job {
  std::string text;
  guint64 generation;
};

// One call's conversation, from READY→PAUSED to PAUSED→READY. Shared (std::shared_ptr) by
// the element and the synthesis pool's task for it, so a sentence finishing after the
// element stopped (or was finalised) only finds `stopping` and an `element` of null.
struct Conversation {
  // Fixed at start.
  std::string voice;
  int words_per_minute = 0;
  int rate = 0;

  // Posting from a pool thread: `element` is valid while non-null, and stop_conversation
  // nulls it under `element_mutex` (waiting for a post in progress). Taken without `mutex`.
  std::mutex element_mutex;
  GstEspeakAgent* element = nullptr;

  // The chain (call loop), the pool's task and bus handlers (any thread): `mutex`.
  std::mutex mutex;
  std::deque<Job> jobs;            // texts to synthesise, in order
  bool scheduled = false;          // a pool task owns `jobs` (runs or is queued)
  std::deque<Utterance> speaking;  // synthesised, not yet fully pushed
  guint64 generation = 0;          // bumped by a barge-in: older jobs' audio is dropped
  guint64 next_id = 1;
  guint64 last_pushed_id = 0;
  bool interrupt_pending = false;
  guint64 interrupt_id = 0;
  bool stopping = false;
  std::string heard;               // final transcripts of the caller's current utterance
  GstClockTime caller_now = 0;     // running time at the end of the latest caller audio
  GstClockTime out_next = 0;       // PTS of the next agent sample
  GstClockTime playing_until = 0;  // end of the agent audio pushed so far
  bool warned = false;
  std::unique_ptr<mp::HeardTracker> heard_tracker;  // marks sent / echoed
};

}  // namespace

struct _GstEspeakAgent {
  GstElement parent;
  GstPad* sinkpad;
  GstPad* transcriptpad;  // what the caller said: the ASR's transcript stream
  GstPad* srcpad;
  // Settings (GST_OBJECT_LOCK).
  gchar* greeting;
  gchar* reply_template;
  gchar* voice;
  gint words_per_minute;
  guint rate;
  // Streaming state (sink pad's thread); `out_rate` is fixed from READY→PAUSED on.
  guint out_rate;
  GstSegment segment;
  gint bytes_per_second;
  bool src_started;
  // Between READY→PAUSED and PAUSED→READY; the transcript pad's chain (the ASR's thread) and
  // mark echoes use it under `handler_lock`, so stopping waits for one in progress.
  GMutex handler_lock;
  std::shared_ptr<Conversation> conversation;  // constructed in init, destroyed in finalize
};

G_DEFINE_TYPE(GstEspeakAgent, gst_espeak_agent, GST_TYPE_ELEMENT)
GST_ELEMENT_REGISTER_DEFINE(espeakagent, "espeakagent", GST_RANK_NONE, GST_TYPE_ESPEAK_AGENT)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-raw, format=(string)S16LE, rate=(int)[ 8000, 48000 ], channels=(int)1, "
                    "layout=(string)interleaved; "
                    "audio/x-mulaw, rate=(int)8000, channels=(int)1"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-raw, format=(string)S16LE, rate=(int)[ 8000, 48000 ], channels=(int)1, "
                    "layout=(string)interleaved"));

namespace {

std::string setting(GstEspeakAgent* self, gchar* GstEspeakAgent::*field) {
  GST_OBJECT_LOCK(self);
  std::string v = self->*field ? self->*field : "";
  GST_OBJECT_UNLOCK(self);
  return v;
}

void post(GstEspeakAgent* self, GstStructure* s) {
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

void post_event(GstEspeakAgent* self, const char* kind, const std::string& text, guint64 event_id = 0) {
  GstStructure* s = mediaflow::gstutil::make_agent_event(kVendor, kind, text);
  if (event_id) gst_structure_set(s, "event-id", G_TYPE_UINT64, event_id, nullptr);
  post(self, s);
}

void post_heard(GstEspeakAgent* self, const std::vector<mp::Heard>& heard) {
  for (const auto& h : heard) post(self, mediaflow::gstutil::make_heard_event(kVendor, h));
}

// Runs `post` on the element while it is attached to `c` (from any thread).
template <typename Post>
void with_element(Conversation& c, Post post) {
  std::lock_guard lock(c.element_mutex);
  if (c.element) post(c.element);
}

// Queues synthesised speech for playing (caller holds c.mutex): 20 ms of silence after it.
void queue_speech_locked(Conversation& c, oa::SharedSamples samples) {
  c.speaking.emplace_back(c.next_id++, std::move(samples), c.rate / 50);
}

void synthesise_next(std::shared_ptr<Conversation> conversation);

// Says `text` after everything already queued (caller holds c.mutex). A sentence in the
// speech cache with nothing ahead of it is queued for playing here and then and returned
// (the caller posts its `agent_response` once it released c.mutex); otherwise the pool
// synthesises it and posts the event. Returns nullopt then.
std::optional<std::string> say_locked(const std::shared_ptr<Conversation>& conversation, std::string text) {
  Conversation& c = *conversation;
  if (!c.scheduled) {
    if (oa::SharedSamples cached = oa::cached_speech(text, c.voice, c.words_per_minute, c.rate)) {
      if (cached->empty()) return std::nullopt;  // nothing to say
      queue_speech_locked(c, std::move(cached));
      return text;
    }
    c.scheduled = true;
    oa::SynthesisPool::instance().run([conversation] { synthesise_next(conversation); });
  }
  c.jobs.push_back({std::move(text), c.generation});
  return std::nullopt;
}

// A pool task: synthesises the conversation's next sentence, queues it for playing unless a
// barge-in dropped it meanwhile, and queues itself again (at the back of the pool's queue,
// so that calls take turns) while sentences are waiting.
void synthesise_next(std::shared_ptr<Conversation> conversation) {
  Conversation& c = *conversation;
  Job job;
  {
    std::lock_guard lock(c.mutex);
    if (c.stopping || c.jobs.empty()) {
      c.scheduled = false;
      return;
    }
    job = std::move(c.jobs.front());
    c.jobs.pop_front();
  }
  oa::SpeechResult r = oa::speak(job.text, c.voice, c.words_per_minute, c.rate);
  bool respond = false, warn = false;
  {
    std::lock_guard lock(c.mutex);
    if (!r.error.empty()) {
      warn = !c.warned;
      c.warned = true;
    } else if (!c.stopping && job.generation == c.generation && !r.samples->empty()) {  // else barged in
      queue_speech_locked(c, std::move(r.samples));
      respond = true;
    }
  }
  // Posted before `scheduled` is released: a cached answer said inline next cannot post first.
  if (respond) with_element(c, [&](GstEspeakAgent* self) { post_event(self, "agent_response", job.text); });
  if (warn) {
    with_element(c, [&](GstEspeakAgent* self) {
      GST_ELEMENT_WARNING(self, LIBRARY, FAILED, ("%s", r.error.c_str()), ("the agent stays silent"));
    });
  }
  bool more;
  {
    std::lock_guard lock(c.mutex);
    more = !c.stopping && !c.jobs.empty();
    c.scheduled = more;
  }
  if (more) oa::SynthesisPool::instance().run([conversation] { synthesise_next(conversation); });
}

// The caller finished an utterance the agent heard: answer it.
void answer(GstEspeakAgent* self, std::unique_lock<std::mutex>& lock) {
  Conversation& c = *self->conversation;
  if (c.heard.empty()) return;
  std::string heard = std::move(c.heard);
  c.heard.clear();
  const std::string reply = oa::fill_template(setting(self, &GstEspeakAgent::reply_template), heard);
  const auto said = say_locked(self->conversation, reply);
  lock.unlock();
  post_event(self, "user_transcript", heard);
  if (said) post_event(self, "agent_response", *said);
  lock.lock();
}

void barge_in(GstEspeakAgent* self, std::unique_lock<std::mutex>& lock) {
  Conversation& c = *self->conversation;
  const bool talking = !c.speaking.empty() || c.playing_until > c.caller_now;
  if (!talking) return;
  const guint64 id = !c.speaking.empty() && c.speaking.front().pos > 0 ? c.speaking.front().id : c.last_pushed_id;
  ++c.generation;
  c.speaking.clear();
  c.jobs.clear();
  c.playing_until = c.caller_now;
  c.interrupt_pending = true;  // the chain pushes the event: one thread pushes on src
  c.interrupt_id = id;
  const std::vector<mp::Heard> cut = c.heard_tracker->on_interruption();
  lock.unlock();
  post_event(self, "interruption", "", id);
  post_heard(self, cut);
  lock.lock();
}

// What the caller said, from the transcript pad (the ASR's pushing thread: the sphinx decoder
// pool's, a vendor ASR's loop). Caller holds `handler_lock` with a conversation.
void handle_transcript(GstEspeakAgent* self, const mediaflow::gstutil::TranscriptResult& r) {
  using Kind = mediaflow::gstutil::TranscriptResult::Kind;
  Conversation& c = *self->conversation;
  std::unique_lock lock(c.mutex);
  switch (r.kind) {
    case Kind::kSpeechStarted:
      barge_in(self, lock);
      break;
    case Kind::kTranscript:
      if (!r.is_final) return;
      if (!r.text.empty()) c.heard += (c.heard.empty() ? "" : " ") + r.text;
      if (r.end_of_utterance) answer(self, lock);
      break;
    case Kind::kUtteranceEnd:
      answer(self, lock);
      break;
    case Kind::kOther:
      break;
  }
}

// The transport echoed one of our marks (the `mediaflow-mark-echo` event on the audio sink
// pad: the call loop). Caller holds `handler_lock` with a conversation.
void handle_mark_echo(GstEspeakAgent* self, const std::string& mark) {
  Conversation& c = *self->conversation;
  std::unique_lock lock(c.mutex);
  std::optional<mp::Heard> heard = c.heard_tracker->on_echo(mark);
  lock.unlock();
  if (heard) post_heard(self, {*heard});
}

void start_conversation(GstEspeakAgent* self) {
  auto c = std::make_shared<Conversation>();
  GST_OBJECT_LOCK(self);
  self->out_rate = self->rate;
  c->voice = self->voice ? self->voice : kDefaultVoice;
  c->words_per_minute = self->words_per_minute;
  GST_OBJECT_UNLOCK(self);
  c->rate = static_cast<int>(self->out_rate);
  c->element = self;
  c->heard_tracker = std::make_unique<mp::HeardTracker>(std::string("espeak-") + GST_OBJECT_NAME(self) + "-");
  self->conversation = c;  // before the pads are activated: nothing arrives yet
  gst_segment_init(&self->segment, GST_FORMAT_TIME);
  self->src_started = false;
  self->bytes_per_second = 0;
  const std::string greeting = setting(self, &GstEspeakAgent::greeting);
  if (greeting.empty()) return;
  std::optional<std::string> said;
  {
    std::lock_guard lock(c->mutex);
    said = say_locked(c, greeting);
  }
  if (said) post_event(self, "agent_response", *said);
}

void stop_conversation(GstEspeakAgent* self) {
  g_mutex_lock(&self->handler_lock);
  std::shared_ptr<Conversation> c = std::move(self->conversation);  // leaves it empty
  g_mutex_unlock(&self->handler_lock);
  if (!c) return;
  {
    std::lock_guard lock(c->mutex);
    c->stopping = true;  // a pool task for it drops its sentence and stops
    c->jobs.clear();
    c->speaking.clear();
  }
  // Waits for a post from a pool thread in progress; none touches the element afterwards.
  std::lock_guard lock(c->element_mutex);
  c->element = nullptr;
}

void start_src(GstEspeakAgent* self) {
  if (self->src_started) return;
  self->src_started = true;
  // A stream of its own, not derived from an input's: the element has two sink pads (audio,
  // transcript), and gst_pad_create_stream_id() is only for elements with at most one.
  gchar* uuid = g_uuid_string_random();
  gchar* id = g_strdup_printf("%s/agent", uuid);
  gst_pad_push_event(self->srcpad, gst_event_new_stream_start(id));
  g_free(id);
  g_free(uuid);
  GstCaps* caps = gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "S16LE", "rate", G_TYPE_INT,
                                      static_cast<gint>(self->out_rate), "channels", G_TYPE_INT, 1, "layout",
                                      G_TYPE_STRING, "interleaved", nullptr);
  gst_pad_push_event(self->srcpad, gst_event_new_caps(caps));
  gst_caps_unref(caps);
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);  // PTS = running time = call time
  gst_pad_push_event(self->srcpad, gst_event_new_segment(&seg));
}

GstClockTime samples_to_time(std::size_t n, guint rate) { return gst_util_uint64_scale(n, GST_SECOND, rate); }

}  // namespace

static GstFlowReturn gst_espeak_agent_chain(GstPad*, GstObject* parent, GstBuffer* buffer) {
  auto* self = GST_ESPEAK_AGENT(parent);
  GstClockTime pts = GST_BUFFER_PTS(buffer), duration = GST_BUFFER_DURATION(buffer);
  if (!GST_CLOCK_TIME_IS_VALID(duration) && self->bytes_per_second > 0)
    duration = gst_util_uint64_scale(gst_buffer_get_size(buffer), GST_SECOND, self->bytes_per_second);
  GstClockTime rt = gst_segment_to_running_time(&self->segment, GST_FORMAT_TIME, pts);
  gst_buffer_unref(buffer);
  start_src(self);

  Conversation& c = *self->conversation;
  std::vector<GstMiniObject*> out;  // buffers and the mark events after them, in order
  bool interrupt = false;
  guint64 interrupt_id = 0;
  {
    std::lock_guard lock(c.mutex);
    if (GST_CLOCK_TIME_IS_VALID(rt)) c.caller_now = std::max(c.caller_now, rt + (GST_CLOCK_TIME_IS_VALID(duration) ? duration : 0));
    std::swap(interrupt, c.interrupt_pending);
    interrupt_id = c.interrupt_id;
    // Agent audio is never in the past: after a pause it starts at the caller's now.
    if (c.out_next < c.caller_now && c.playing_until <= c.caller_now) c.out_next = c.caller_now;
    const std::size_t mark_every = static_cast<std::size_t>(gst_util_uint64_scale(kMarkEvery, self->out_rate, GST_SECOND));
    while (!c.speaking.empty() && c.out_next < c.caller_now + kLead) {
      Utterance& u = c.speaking.front();
      const std::size_t chunk = self->out_rate / 50;  // 20 ms
      const std::size_t chunk_end = u.pos < u.speech_end ? u.speech_end : u.total;
      const std::size_t n = std::min(chunk, chunk_end - u.pos);
      GstBuffer* b;
      if (u.pos < u.speech_end) {
        b = gst_buffer_new_memdup(u.samples->data() + u.pos, n * sizeof(std::int16_t));
      } else {
        b = gst_buffer_new_allocate(nullptr, n * sizeof(std::int16_t), nullptr);
        gst_buffer_memset(b, 0, 0, n * sizeof(std::int16_t));
      }
      GST_BUFFER_PTS(b) = c.out_next;
      GST_BUFFER_DURATION(b) = samples_to_time(n, self->out_rate);
      if (u.pos == 0) GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DISCONT);
      u.pos += n;
      c.out_next += GST_BUFFER_DURATION(b);
      c.playing_until = c.out_next;
      c.last_pushed_id = u.id;
      out.push_back(GST_MINI_OBJECT_CAST(b));
      if (u.pos <= u.speech_end && u.pos > u.marked &&
          (u.pos == u.speech_end || u.pos - u.marked >= mark_every)) {
        const std::string mark = c.heard_tracker->next_mark(u.id, samples_to_time(u.pos - u.marked, self->out_rate));
        u.marked = u.pos;
        out.push_back(GST_MINI_OBJECT_CAST(mediaflow::gstutil::make_mark_event(mark)));
      }
      if (u.pos >= u.total) c.speaking.pop_front();
    }
  }
  if (interrupt) gst_pad_push_event(self->srcpad, mediaflow::gstutil::make_interruption_event(interrupt_id));
  GstFlowReturn ret = GST_FLOW_OK;
  for (GstMiniObject* o : out) {
    if (ret != GST_FLOW_OK) {
      gst_mini_object_unref(o);
    } else if (GST_IS_BUFFER(o)) {
      ret = gst_pad_push(self->srcpad, GST_BUFFER_CAST(o));
    } else {
      gst_pad_push_event(self->srcpad, GST_EVENT_CAST(o));
    }
  }
  // Agent output nobody listens to must not stop the caller's audio.
  return ret == GST_FLOW_NOT_LINKED ? GST_FLOW_OK : ret;
}

// The transcript pad: one result per buffer (gstutil/transcript_stream.hpp).
static GstFlowReturn gst_espeak_agent_transcript_chain(GstPad*, GstObject* parent, GstBuffer* buffer) {
  auto* self = GST_ESPEAK_AGENT(parent);
  const auto result = mediaflow::gstutil::parse_transcript_buffer(buffer);
  gst_buffer_unref(buffer);
  if (!result) {
    GST_WARNING_OBJECT(self, "a transcript buffer that is not a transcript result: ignored");
    return GST_FLOW_OK;
  }
  GST_DEBUG_OBJECT(self, "%s (final %d)", result->type.c_str(), result->is_final);
  g_mutex_lock(&self->handler_lock);
  if (self->conversation) handle_transcript(self, *result);
  g_mutex_unlock(&self->handler_lock);
  return GST_FLOW_OK;
}

// The transcript stream's events end here: its stream-start, caps, segment and EOS are not the
// agent's output stream (which follows the caller's audio).
static gboolean gst_espeak_agent_transcript_event(GstPad*, GstObject*, GstEvent* event) {
  gst_event_unref(event);
  return TRUE;
}

static gboolean gst_espeak_agent_sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  auto* self = GST_ESPEAK_AGENT(parent);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CUSTOM_DOWNSTREAM: {
      std::string mark;
      if (!mediaflow::gstutil::parse_mark_echo_event(event, &mark)) break;
      g_mutex_lock(&self->handler_lock);
      if (self->conversation) handle_mark_echo(self, mark);
      g_mutex_unlock(&self->handler_lock);
      gst_event_unref(event);
      return TRUE;
    }
    case GST_EVENT_STREAM_START:
      gst_event_unref(event);
      return TRUE;  // the agent's output is a stream of its own (start_src)
    case GST_EVENT_CAPS: {
      GstCaps* caps = nullptr;
      gst_event_parse_caps(event, &caps);
      const GstStructure* s = gst_caps_get_structure(caps, 0);
      gint rate = 0;
      gst_structure_get_int(s, "rate", &rate);
      const bool mulaw = gst_structure_has_name(s, "audio/x-mulaw");
      self->bytes_per_second = rate * (mulaw ? 1 : 2);
      gchar* input = g_strdup_printf("%s_%d", mulaw ? "ulaw" : "pcm", rate);
      gchar* output = g_strdup_printf("pcm_%u", self->out_rate);
      gchar* id = g_uuid_string_random();
      GstStructure* ev = mediaflow::gstutil::make_agent_event(kVendor, "conversation_started", "");
      gst_structure_set(ev, "conversation-id", G_TYPE_STRING, id, "agent-output-format", G_TYPE_STRING, output,
                        "user-input-format", G_TYPE_STRING, input, nullptr);
      post(self, ev);
      g_free(id);
      g_free(input);
      g_free(output);
      gst_event_unref(event);
      return TRUE;
    }
    case GST_EVENT_SEGMENT: {
      const GstSegment* seg = nullptr;
      gst_event_parse_segment(event, &seg);
      if (seg->format == GST_FORMAT_TIME) gst_segment_copy_into(seg, &self->segment);
      gst_event_unref(event);
      return TRUE;
    }
    case GST_EVENT_EOS: {
      // The call is over: what was not said will not be heard.
      if (self->conversation) {
        std::lock_guard lock(self->conversation->mutex);
        self->conversation->speaking.clear();
        self->conversation->jobs.clear();
      }
      start_src(self);
      return gst_pad_push_event(self->srcpad, event);
    }
    default:
      break;
  }
  return gst_pad_event_default(pad, parent, event);
}

static GstStateChangeReturn gst_espeak_agent_change_state(GstElement* element, GstStateChange transition) {
  auto* self = GST_ESPEAK_AGENT(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) start_conversation(self);
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_espeak_agent_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY || (transition == GST_STATE_CHANGE_READY_TO_PAUSED &&
                                                         ret == GST_STATE_CHANGE_FAILURE)) {
    stop_conversation(self);
  }
  return ret;
}

static void gst_espeak_agent_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_ESPEAK_AGENT(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_GREETING:
      g_free(self->greeting);
      self->greeting = g_value_dup_string(value);
      break;
    case PROP_REPLY_TEMPLATE:
      g_free(self->reply_template);
      self->reply_template = g_value_dup_string(value);
      break;
    case PROP_VOICE:
      g_free(self->voice);
      self->voice = g_value_dup_string(value);
      break;
    case PROP_WORDS_PER_MINUTE:
      self->words_per_minute = g_value_get_int(value);
      break;
    case PROP_RATE:
      self->rate = g_value_get_uint(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_espeak_agent_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_ESPEAK_AGENT(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_GREETING:
      g_value_set_string(value, self->greeting);
      break;
    case PROP_REPLY_TEMPLATE:
      g_value_set_string(value, self->reply_template);
      break;
    case PROP_VOICE:
      g_value_set_string(value, self->voice);
      break;
    case PROP_WORDS_PER_MINUTE:
      g_value_set_int(value, self->words_per_minute);
      break;
    case PROP_RATE:
      g_value_set_uint(value, self->rate);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

// Stopped here at the latest (an element normally stops at PAUSED→READY): a pool thread
// posting on the element may still take a reference while it is being disposed, which
// GObject allows (it is disposed again later), but never once it is being finalised.
static void gst_espeak_agent_dispose(GObject* object) {
  stop_conversation(GST_ESPEAK_AGENT(object));
  G_OBJECT_CLASS(gst_espeak_agent_parent_class)->dispose(object);
}

static void gst_espeak_agent_finalize(GObject* object) {
  auto* self = GST_ESPEAK_AGENT(object);
  self->conversation.~shared_ptr();
  g_free(self->greeting);
  g_free(self->reply_template);
  g_free(self->voice);
  g_mutex_clear(&self->handler_lock);
  G_OBJECT_CLASS(gst_espeak_agent_parent_class)->finalize(object);
}

static void gst_espeak_agent_init(GstEspeakAgent* self) {
  self->greeting = g_strdup(kDefaultGreeting);
  self->reply_template = g_strdup(kDefaultReplyTemplate);
  self->voice = g_strdup(kDefaultVoice);
  self->words_per_minute = kDefaultWordsPerMinute;
  self->rate = kDefaultRate;
  self->out_rate = kDefaultRate;
  g_mutex_init(&self->handler_lock);
  new (&self->conversation) std::shared_ptr<Conversation>();
  self->src_started = false;
  self->bytes_per_second = 0;
  gst_segment_init(&self->segment, GST_FORMAT_TIME);

  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_espeak_agent_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_espeak_agent_sink_event));
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->transcriptpad = mediaflow::gstutil::add_transcript_pad(GST_ELEMENT(self), GST_PAD_SINK);
  gst_pad_set_chain_function(self->transcriptpad, GST_DEBUG_FUNCPTR(gst_espeak_agent_transcript_chain));
  gst_pad_set_event_function(self->transcriptpad, GST_DEBUG_FUNCPTR(gst_espeak_agent_transcript_event));
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_espeak_agent_class_init(GstEspeakAgentClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = gst_espeak_agent_set_property;
  gobject_class->get_property = gst_espeak_agent_get_property;
  gobject_class->dispose = gst_espeak_agent_dispose;
  gobject_class->finalize = gst_espeak_agent_finalize;

  const auto flags = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      gobject_class, PROP_GREETING,
      g_param_spec_string("greeting", "Greeting", "What the agent says when the call starts (empty: nothing)",
                          kDefaultGreeting, flags));
  g_object_class_install_property(
      gobject_class, PROP_REPLY_TEMPLATE,
      g_param_spec_string("reply-template", "Reply template",
                          "The answer to each caller utterance; {text} is replaced by what was heard",
                          kDefaultReplyTemplate, flags));
  g_object_class_install_property(gobject_class, PROP_VOICE,
                                  g_param_spec_string("voice", "Voice", "espeak-ng voice name", kDefaultVoice, flags));
  g_object_class_install_property(
      gobject_class, PROP_WORDS_PER_MINUTE,
      g_param_spec_int("words-per-minute", "Words per minute", "Speaking rate", 80, 450, kDefaultWordsPerMinute,
                       flags));
  // rate: the output sample rate; speech is resampled once per sentence and process, so a
  // pipeline that needs 8 kHz (Twilio) sets it here instead of resampling every call.
  g_object_class_install_property(
      gobject_class, PROP_RATE,
      g_param_spec_uint("rate", "Rate", "Sample rate of the agent audio on src (Hz)", 8000, 48000, kDefaultRate,
                        GParamFlags(flags | GST_PARAM_MUTABLE_READY)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_add_pad_template(element_class, mediaflow::gstutil::transcript_pad_template(GST_PAD_SINK));
  gst_element_class_set_static_metadata(element_class, "Offline voice agent (espeak-ng)", "Filter/Audio/Agent",
                                        "Greets, answers the call's final transcripts with synthesised speech, "
                                        "stops on barge-in",
                                        "mediaflow");
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_espeak_agent_change_state);
  GST_DEBUG_CATEGORY_INIT(gst_espeak_agent_debug, "espeakagent", 0, "offline voice agent (espeak-ng)");
}
