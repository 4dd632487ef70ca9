/**
 * SECTION:element-sphinxasr
 * @title: sphinxasr
 *
 * Recognises call audio offline with CMU pocketsphinx (its `en-us` model) and posts what it
 * hears in the mediaflow transcript schema (docs/transcript-schema.md), with `vendor` =
 * `pocketsphinx`:
 *
 *  - `mediaflow-speech-started` {vendor s, timestamp d}: call time of the first word of an
 *    utterance (posted with its final, just before it)
 *  - `mediaflow-transcript` {vendor s, text s, is-final b (true), end-of-utterance b (true),
 *    start d, duration d, confidence d, words (list of `word` {word s, start d, end d,
 *    confidence d}), channel i}: one final per utterance, word times from the decoder's
 *    segmentation. No interim results.
 *  - `mediaflow-utterance-end` {vendor s, last-word-end d} after each final
 *
 * Times are call time in seconds (the running time of the audio in this element's input).
 *
 * The same results go in-band, for the element the pipeline links to it (an agent): the always
 * `transcript` src pad (`text/x-mediaflow-transcript`) carries each as one JSON object per
 * buffer (gstutil/transcript_stream.hpp), PTS = its call time, pushed from the pool thread just
 * before it is posted; EOS follows the last result. Unlinked, it costs one buffer per result.
 *
 * The element owns no decoder and no thread. Structure: a bin `speechgate ! fakesink`.
 * `speechgate` (see its own doc) passes only speech plus 0.5 s of pre-roll and 0.7 s of
 * hangover and marks the end of each such stretch with a GAP event; the element keeps the
 * current stretch's audio as it came (16 KiB blocks: 16 KiB per second of 8 kHz speech)
 * and, when the stretch ends (gate closes, EOS, or every `max-utterance`
 * for a caller who never pauses), hands it as one job to the process-wide decoder pool
 * (decoder_pool.hpp: N pocketsphinx decoders, one thread each, shared by every sphinxasr of
 * the process; env `SPHINX_DECODERS`, default the number of cores). The pool decodes the
 * stretch as one utterance and this element posts the results from the pool thread (it is
 * kept alive for the job; results for an element that has since stopped are dropped). A
 * stretch's samples start at a known call time, so word times are exact: call time of the
 * stretch + decoder frame × 10 ms. Before decoding, the stretch is cut to its loud 10 ms
 * frames plus 0.2 s before and 0.3 s after (pocketsphinx's own silence removal is off, so
 * every frame given is scored). Conversion and resampling to the model's 16 kHz S16 mono
 * (GstAudioConverter) run on the pool thread, as part of the job. Nothing on the pushing
 * thread (the host's loop) ever waits for the decoder: the pool's queue is bounded (`SPHINX_MAX_PENDING_SECONDS` of audio, default 60)
 * and drops the oldest waiting stretch beyond it (counted in `dropped-utterances`, one
 * warning per element).
 *
 * `keywords` (e.g. "yes, no") restricts recognition to those words or phrases (a finite-state
 * grammar; each stretch is recognised as one of them). Each pool decoder keeps one search per
 * distinct grammar and switches per job, so a call's grammar costs nothing at call start.
 * Without `keywords` pocketsphinx decodes open vocabulary with its en-us language model
 * (loaded into each pool decoder the first time it is needed: ~2 s, on a pool thread). A
 * keyword missing from the pronunciation dictionary is an element error at start naming it.
 *
 * `acoustic-model` and `score-every` are the decoder's configuration: calls with the same
 * values share decoders; a pool decoder built with other values is rebuilt for the job
 * (costly, so keep them uniform across the pipelines of a process).
 *
 * On EOS the current stretch is decoded and its transcript posted (and pushed, then EOS on
 * `transcript`) before EOS reaches the bus.
 *
 * ## Example launch line
 * |[
 * espeak-ng -w /tmp/yes.wav "yes"
 * GST_PLUGIN_PATH=build/plugins gst-launch-1.0 -m filesrc location=/tmp/yes.wav ! wavparse ! \
 *     audioconvert ! audioresample ! sphinxasr keywords="yes, no"
 * ]|
 * The transcript stream itself (one JSON result per buffer):
 * |[
 * GST_PLUGIN_PATH=build/plugins gst-launch-1.0 filesrc location=/tmp/yes.wav ! wavparse ! \
 *     audioconvert ! audioresample ! sphinxasr name=asr keywords="yes, no" \
 *     asr.transcript ! fdsink fd=1
 * ]|
 */
#include "gstsphinxasr.hpp"

#include "decoder_pool.hpp"
#include "keyword_grammar.hpp"
#include "speech_gate.hpp"

#include <mediaflow/gstutil/transcript_stream.hpp>

#include <gst/audio/audio.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC(gst_sphinx_asr_debug);
#define GST_CAT_DEFAULT gst_sphinx_asr_debug

namespace sph = mediaflow::sphinx;

namespace {

constexpr const char* kVendor = "pocketsphinx";
constexpr const char* kDefaultAcousticModel = "/usr/share/pocketsphinx/model/en-us/en-us";
constexpr const char* kDefaultDictionary = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";
constexpr const char* kDefaultLanguageModel = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin";
constexpr guint kDefaultMaxLagMs = 10000;
constexpr guint kDefaultMaxUtteranceMs = 10000;
constexpr double kLogBase = 1.0001;                // -logbase: scores are log base 1.0001
constexpr double kDefaultSpeechThreshold = -45.0;  // dBFS, speechgate's `threshold`
constexpr guint kDefaultScoreEvery = 2;            // pocketsphinx -ds

enum {
  PROP_0,
  PROP_KEYWORDS,
  PROP_ACOUSTIC_MODEL,
  PROP_DICTIONARY,
  PROP_MAX_LAG,
  PROP_SPEECH_THRESHOLD,
  PROP_SCORE_EVERY,
  PROP_DECODED,
  PROP_MAX_UTTERANCE,
  PROP_DROPPED_UTTERANCES,
  PROP_POOL_DECODERS,
  PROP_POOL_THREADS,
  PROP_POOL_SIZE,
};

// The gated audio of one stretch, in the input's format, copied into 16 KiB blocks: a
// call's 20 ms buffers held by reference cost ~3× their bytes in GstBuffer/GstMemory
// overhead, and one growing vector would double (and copy) as it grows.
struct HeldBuffers {
  static constexpr std::size_t kBlock = 16 * 1024;
  std::vector<std::unique_ptr<std::uint8_t[]>> blocks;
  std::size_t bytes = 0;
  bool empty() const { return bytes == 0; }
  void append(const std::uint8_t* data, std::size_t n) {
    while (n > 0) {
      const std::size_t used = bytes % kBlock;
      if (used == 0) blocks.emplace_back(new std::uint8_t[kBlock]);
      const std::size_t take = std::min(n, kBlock - used);
      std::memcpy(blocks.back().get() + used, data, take);
      bytes += take;
      data += take;
      n -= take;
    }
  }
};

// The stretch of gated audio being collected (streaming thread only).
struct Stretch {
  GstSegment segment;
  GstAudioInfo info;  // the input's format (gate output = element input)
  bool have_info = false;
  std::shared_ptr<HeldBuffers> held;
  GstClockTime start = 0;  // running time of the first sample
  GstClockTime end = 0;    // running time just after the last sample
  Stretch() {
    gst_segment_init(&segment, GST_FORMAT_TIME);
    gst_audio_info_init(&info);
  }
  bool empty() const { return !held || held->empty(); }
};

// One converter (format, channels, rate → 16 kHz S16 mono) per input format and pool thread.
struct ConverterCache {
  std::map<std::string, GstAudioConverter*> converters;
  ~ConverterCache() {
    for (auto& [_, c] : converters) gst_audio_converter_free(c);
  }
  GstAudioConverter* get(const GstAudioInfo& in) {
    const std::string key = std::string(gst_audio_format_to_string(GST_AUDIO_INFO_FORMAT(&in))) + "/" +
                            std::to_string(GST_AUDIO_INFO_RATE(&in)) + "/" + std::to_string(GST_AUDIO_INFO_CHANNELS(&in));
    auto it = converters.find(key);
    if (it == converters.end()) {
      GstAudioInfo out;
      gst_audio_info_set_format(&out, GST_AUDIO_FORMAT_S16LE, sph::kSampleRate, 1, nullptr);
      GstAudioConverter* c = gst_audio_converter_new(GST_AUDIO_CONVERTER_FLAG_NONE, const_cast<GstAudioInfo*>(&in), &out, nullptr);
      it = converters.emplace(key, c).first;
    }
    return it->second;
  }
};

// On a pool thread: the held buffers as one run of 16 kHz S16 mono samples.
std::vector<std::int16_t> to_decoder_samples(const HeldBuffers& held, const GstAudioInfo& info) {
  std::vector<std::uint8_t> in(held.bytes);
  for (std::size_t i = 0, off = 0; off < held.bytes; ++i, off += HeldBuffers::kBlock)
    std::memcpy(in.data() + off, held.blocks[i].get(), std::min(HeldBuffers::kBlock, held.bytes - off));
  const gsize bpf = GST_AUDIO_INFO_BPF(&info);
  const gsize in_frames = bpf ? in.size() / bpf : 0;
  if (in_frames == 0) return {};
  if (GST_AUDIO_INFO_FORMAT(&info) == GST_AUDIO_FORMAT_S16LE && GST_AUDIO_INFO_RATE(&info) == sph::kSampleRate &&
      GST_AUDIO_INFO_CHANNELS(&info) == 1) {
    std::vector<std::int16_t> out(in_frames);
    std::memcpy(out.data(), in.data(), in_frames * 2);
    return out;
  }
  thread_local ConverterCache cache;
  GstAudioConverter* conv = cache.get(info);
  if (!conv) return {};
  gst_audio_converter_reset(conv);  // each stretch starts with a clean filter history
  const gsize out_frames = gst_audio_converter_get_out_frames(conv, in_frames);
  std::vector<std::int16_t> out(out_frames);
  gpointer in_planes[1] = {in.data()};
  gpointer out_planes[1] = {out.data()};
  if (!gst_audio_converter_samples(conv, GST_AUDIO_CONVERTER_FLAG_NONE, in_planes, in_frames, out_planes, out_frames))
    return {};
  return out;
}

// Grammars are built once per (dictionary, keywords) and process.
std::mutex search_cache_mutex;
std::map<std::string, std::shared_ptr<const sph::SearchSpec>> search_cache;

}  // namespace

struct _GstSphinxAsr {
  GstBin parent;
  GstElement* gate;  // speechgate
  GstElement* sink;  // fakesink: its sink pad's probe collects the stretches
  GstPad* transcript_pad;  // always src pad: the results, in-band (pushed from the pool thread)
  // Settings (GST_OBJECT_LOCK).
  gchar* keywords;
  gchar* acoustic_model;
  gchar* dictionary;
  guint max_lag;
  double speech_threshold;
  guint score_every;
  guint max_utterance;
  guint64 decoded;             // GST_OBJECT_LOCK: audio (ns) handed to the decoder pool
  guint64 dropped_utterances;  // GST_OBJECT_LOCK
  bool warned_drop;            // GST_OBJECT_LOCK
  // Set at NULL→READY, read by the streaming thread.
  std::shared_ptr<const sph::SearchSpec>* search;
  sph::DecoderConfig* config;
  guint64 owner;  // the pool's ordering key for this element's jobs
  guint max_utterance_ms;
  double threshold;  // speech-threshold, for trimming a stretch to its speech
  std::atomic<guint> session;     // bumped when the element stops: older results are dropped
  std::atomic<bool> release_eos;  // the pool's marker job lets the held EOS through
  std::atomic<bool> warned_error;
  Stretch* stretch;
};

G_DEFINE_TYPE(GstSphinxAsr, gst_sphinx_asr, GST_TYPE_BIN)
GST_ELEMENT_REGISTER_DEFINE(sphinxasr, "sphinxasr", GST_RANK_NONE, GST_TYPE_SPHINX_ASR)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-raw, format=(string){ S16LE, F32LE }, rate=(int)[ 8000, 48000 ], "
                    "channels=(int)[ 1, 2 ], layout=(string)interleaved"));

namespace {

double seconds(GstClockTime t) { return static_cast<double>(t) / GST_SECOND; }

double probability(long log_score) { return std::clamp(std::pow(kLogBase, static_cast<double>(log_score)), 0.0, 1.0); }

bool is_filler(const std::string& word) { return word.empty() || word[0] == '<' || word[0] == '[' || word.rfind("++", 0) == 0; }

// "yes(2)" (an alternate pronunciation) → "yes".
std::string base_word(const std::string& word) {
  std::string w = word;
  if (const auto paren = w.find('('); paren != std::string::npos && paren > 0) w.resize(paren);
  return w;
}

// A result: downstream on the `transcript` pad (for the element the pipeline links to it),
// then to the bus (for the host). Takes `s`.
void post(GstSphinxAsr* self, GstStructure* s) {
  mediaflow::gstutil::push_transcript(GST_ELEMENT(self), self->transcript_pad, s);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

// A pool thread recognised a stretch starting at call time `start` (s) lasting `length` (s).
void post_recognition(GstSphinxAsr* self, const sph::Recognition& r, double start, double length) {
  if (!r.decoded) {
    if (!self->warned_error.exchange(true))
      GST_ELEMENT_WARNING(self, LIBRARY, FAILED, ("offline speech recognition failed: %s", r.error.c_str()), (nullptr));
    return;
  }
  const double end = start + length;
  auto at = [&](int frame) { return std::clamp(start + frame * sph::kFrameSeconds, start, end); };
  GValue words = G_VALUE_INIT;
  g_value_init(&words, GST_TYPE_LIST);
  double first = -1, last = -1;
  for (const auto& w : r.words) {
    if (is_filler(w.word)) continue;
    const double ws = at(w.start_frame), we = std::max(ws, at(w.end_frame + 1));
    GValue v = G_VALUE_INIT;
    g_value_init(&v, GST_TYPE_STRUCTURE);
    GstStructure* word = gst_structure_new("word", "word", G_TYPE_STRING, base_word(w.word).c_str(), "start",
                                           G_TYPE_DOUBLE, ws, "end", G_TYPE_DOUBLE, we, "confidence", G_TYPE_DOUBLE,
                                           probability(w.log_prob), nullptr);
    gst_value_set_structure(&v, word);
    gst_structure_free(word);
    gst_value_list_append_and_take_value(&words, &v);
    if (first < 0) first = ws;
    last = we;
  }
  if (r.hypothesis.empty() || gst_value_list_get_size(&words) == 0) {
    g_value_unset(&words);  // noise that yields no word posts nothing
    return;
  }
  post(self, gst_structure_new("mediaflow-speech-started", "vendor", G_TYPE_STRING, kVendor, "timestamp",
                               G_TYPE_DOUBLE, first, nullptr));
  GstStructure* s = gst_structure_new(
      "mediaflow-transcript", "vendor", G_TYPE_STRING, kVendor, "text", G_TYPE_STRING, r.hypothesis.c_str(),
      "is-final", G_TYPE_BOOLEAN, TRUE, "end-of-utterance", G_TYPE_BOOLEAN, TRUE, "start", G_TYPE_DOUBLE, first,
      "duration", G_TYPE_DOUBLE, std::max(0.0, last - first), "confidence", G_TYPE_DOUBLE, probability(r.score),
      "channel", G_TYPE_INT, 0, nullptr);
  gst_structure_take_value(s, "words", &words);
  post(self, s);
  post(self, gst_structure_new("mediaflow-utterance-end", "vendor", G_TYPE_STRING, kVendor, "last-word-end",
                               G_TYPE_DOUBLE, last, nullptr));
}

using ElementRef = std::shared_ptr<GstSphinxAsr>;

ElementRef hold(GstSphinxAsr* self) {
  return ElementRef(GST_SPHINX_ASR(gst_object_ref(self)), [](GstSphinxAsr* e) { gst_object_unref(e); });
}

void on_dropped(GstSphinxAsr* self) {
  GST_OBJECT_LOCK(self);
  ++self->dropped_utterances;
  const bool warn = !self->warned_drop;
  self->warned_drop = true;
  GST_OBJECT_UNLOCK(self);
  if (warn)
    GST_ELEMENT_WARNING(self, RESOURCE, BUSY, ("speech recognition is behind: utterances are dropped"),
                        ("the decoder pool's queue is full (SPHINX_MAX_PENDING_SECONDS)"));
}

// Cuts the stretch (16 kHz) down to its loud 10 ms frames plus 0.2 s before (soft onsets,
// the noise estimate) and 0.3 s after; returns the seconds cut at the start. The gate's
// 0.5 s pre-roll and 0.7 s hangover are for deciding, not for decoding: with pocketsphinx's
// own silence removal off (exact frame times) every frame decoded is scored, and these
// would be ~0.7 s of every utterance.
double trim_to_speech(std::vector<std::int16_t>& samples, double threshold_db) {
  constexpr std::size_t kFrame = sph::kSampleRate / 100;
  constexpr std::size_t kBefore = 20, kAfter = 30;  // frames
  const std::size_t frames = samples.size() / kFrame;
  std::size_t first = frames, last = 0;
  for (std::size_t f = 0; f < frames; ++f) {
    if (sph::level_dbfs_s16(samples.data() + f * kFrame, kFrame) < threshold_db) continue;
    first = std::min(first, f);
    last = f;
  }
  if (first == frames) {  // nothing loud (resampling smoothed a borderline buffer): keep all
    return 0.0;
  }
  const std::size_t from = first > kBefore ? first - kBefore : 0;
  const std::size_t to = std::min(samples.size(), (last + 1 + kAfter) * kFrame);
  samples.erase(samples.begin() + std::ptrdiff_t(to), samples.end());
  samples.erase(samples.begin(), samples.begin() + std::ptrdiff_t(from * kFrame));
  return double(from) * sph::kFrameSeconds;
}

// Hands the stretch collected so far to the pool (streaming thread): the held blocks move;
// the pool thread converts them.
void submit_stretch(GstSphinxAsr* self) {
  Stretch& st = *self->stretch;
  if (st.empty()) return;
  const GstClockTime duration = st.end - st.start;
  sph::DecodeJob job;
  job.owner = self->owner;
  job.config = *self->config;
  job.search = *self->search;
  job.audio_seconds = std::max(seconds(duration), 1e-3);
  // Where the decoded part starts in the stretch (s): set by `audio`, read by `done`, both
  // on the same pool thread, one after the other.
  auto offset = std::make_shared<double>(0.0);
  job.audio = [held = std::move(st.held), info = st.info, offset, threshold = self->threshold] {
    auto samples = to_decoder_samples(*held, info);
    *offset = trim_to_speech(samples, threshold);
    return samples;
  };
  st.held.reset();
  const double start = seconds(st.start), length = seconds(duration);
  GST_OBJECT_LOCK(self);
  self->decoded += duration;
  GST_OBJECT_UNLOCK(self);
  ElementRef ref = hold(self);
  const guint session = self->session.load();
  job.done = [ref, session, start, length, offset](sph::Recognition& r) {
    if (ref->session.load() == session) post_recognition(ref.get(), r, start + *offset, length - *offset);
  };
  job.dropped = [ref] { on_dropped(ref.get()); };
  sph::DecoderPool::instance().submit(std::move(job));
}

// EOS waits (off the streaming thread) behind this element's jobs in the pool, so their
// transcripts reach the bus before it.
void submit_eos(GstSphinxAsr* self, GstPad* pad) {
  sph::DecodeJob marker;
  marker.owner = self->owner;
  ElementRef ref = hold(self);
  const guint session = self->session.load();
  GstPad* p = GST_PAD(gst_object_ref(pad));
  std::shared_ptr<GstPad> pad_ref(p, [](GstPad* x) { gst_object_unref(x); });
  marker.done = [ref, session, pad_ref](sph::Recognition&) {
    if (ref->session.load() != session) return;
    ref->release_eos.store(true);
    mediaflow::gstutil::push_transcript_eos(GST_ELEMENT(ref.get()), ref->transcript_pad);
    gst_pad_send_event(pad_ref.get(), gst_event_new_eos());
  };
  sph::DecoderPool::instance().submit(std::move(marker));
}

// Runs on the streaming thread (the host's loop thread) for what reaches the fakesink:
// gated audio in the input's format, and events. Costs a copy of the gated bytes.
GstPadProbeReturn on_decoder_input(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* self = GST_SPHINX_ASR(data);
  Stretch& st = *self->stretch;
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
    switch (GST_EVENT_TYPE(ev)) {
      case GST_EVENT_SEGMENT: {
        const GstSegment* seg = nullptr;
        gst_event_parse_segment(ev, &seg);
        if (seg->format == GST_FORMAT_TIME) gst_segment_copy_into(seg, &st.segment);
        break;
      }
      case GST_EVENT_CAPS: {
        GstCaps* caps = nullptr;
        gst_event_parse_caps(ev, &caps);
        submit_stretch(self);  // held audio is in the old format
        st.have_info = gst_audio_info_from_caps(&st.info, caps);
        break;
      }
      case GST_EVENT_GAP:  // speechgate closed: the stretch is complete
        submit_stretch(self);
        break;
      case GST_EVENT_FLUSH_STOP:
        st.held.reset();
        break;
      case GST_EVENT_EOS:
        if (self->release_eos.exchange(false)) return GST_PAD_PROBE_OK;
        submit_stretch(self);
        submit_eos(self, pad);
        return GST_PAD_PROBE_DROP;
      default:
        break;
    }
    return GST_PAD_PROBE_OK;
  }
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  const guint bpf = GST_AUDIO_INFO_BPF(&st.info);
  const guint rate = GST_AUDIO_INFO_RATE(&st.info);
  if (!st.have_info || bpf == 0 || rate == 0) return GST_PAD_PROBE_OK;
  GstClockTime rt = gst_segment_to_running_time(&st.segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buf));
  if (!GST_CLOCK_TIME_IS_VALID(rt)) rt = st.end;
  // A new stretch after a gap the gate left (or a discontinuity).
  const bool gap = rt > st.end + GST_MSECOND || rt + GST_MSECOND < st.end;
  if (!st.empty() && (gap || GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DISCONT))) submit_stretch(self);
  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) return GST_PAD_PROBE_OK;
  if (st.empty()) {
    if (!st.held) st.held = std::make_shared<HeldBuffers>();
    st.start = rt;
  }
  st.held->append(map.data, map.size);
  gst_buffer_unmap(buf, &map);
  st.end = st.start + gst_util_uint64_scale(st.held->bytes / bpf, GST_SECOND, rate);
  if (st.end - st.start >= guint64(self->max_utterance_ms) * GST_MSECOND)
    submit_stretch(self);  // a caller who never pauses
  return GST_PAD_PROBE_OK;
}

std::shared_ptr<const sph::SearchSpec> search_for(const std::string& keywords, const std::string& dictionary,
                                                  std::string* error) {
  const std::string key = dictionary + '\n' + keywords;
  std::lock_guard lock(search_cache_mutex);
  if (auto it = search_cache.find(key); it != search_cache.end()) return it->second;
  auto spec = std::make_shared<sph::SearchSpec>();
  spec->key = key;
  const auto phrases = sph::parse_keywords(keywords);
  if (phrases.empty()) {
    spec->full_dictionary = dictionary;
    spec->language_model = kDefaultLanguageModel;
  } else {
    std::ifstream in(dictionary);
    if (!in) {
      *error = "cannot read pronunciation dictionary " + dictionary;
      return nullptr;
    }
    const auto subset = sph::dictionary_subset(in, sph::words_of(phrases));
    if (!subset.missing.empty()) {
      std::string missing;
      for (const auto& w : subset.missing) missing += (missing.empty() ? "" : ", ") + w;
      *error = "keywords without a pronunciation in the dictionary: " + missing;
      return nullptr;
    }
    spec->fsg = sph::fsg_text(phrases);
    spec->dictionary_text = subset.text;
  }
  search_cache.emplace(key, spec);
  return spec;
}

// Checks the settings and prepares the job template (NULL→READY). No decoder is loaded here.
bool configure(GstSphinxAsr* self) {
  GST_OBJECT_LOCK(self);
  const std::string keywords = self->keywords ? self->keywords : "";
  const std::string model = self->acoustic_model ? self->acoustic_model : kDefaultAcousticModel;
  const std::string dictionary = self->dictionary ? self->dictionary : kDefaultDictionary;
  const double threshold = self->speech_threshold;
  const guint score_every = self->score_every;
  const guint max_utterance = self->max_utterance;
  GST_OBJECT_UNLOCK(self);

  g_object_set(self->gate, "threshold", threshold, nullptr);
  const std::string mdef = model + "/mdef";
  if (!g_file_test(mdef.c_str(), G_FILE_TEST_IS_REGULAR)) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("no pocketsphinx acoustic model in %s", model.c_str()), (nullptr));
    return false;
  }
  std::string error;
  auto search = search_for(keywords, dictionary, &error);
  if (!search) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", error.c_str()), ("dictionary %s", dictionary.c_str()));
    return false;
  }
  *self->search = std::move(search);
  *self->config = sph::DecoderConfig{model, int(score_every)};
  self->max_utterance_ms = max_utterance;
  self->threshold = threshold;
  if (!self->owner) self->owner = sph::DecoderPool::instance().new_owner_id();
  return true;
}

}  // namespace

static GstStateChangeReturn gst_sphinx_asr_change_state(GstElement* element, GstStateChange transition) {
  auto* self = GST_SPHINX_ASR(element);
  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!configure(self)) return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      *self->stretch = Stretch{};
      self->release_eos.store(false);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      ++self->session;  // results of jobs still in the pool are dropped
      break;
    default:
      break;
  }
  return GST_ELEMENT_CLASS(gst_sphinx_asr_parent_class)->change_state(element, transition);
}

static void gst_sphinx_asr_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_SPHINX_ASR(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_KEYWORDS:
      g_free(self->keywords);
      self->keywords = g_value_dup_string(value);
      break;
    case PROP_ACOUSTIC_MODEL:
      g_free(self->acoustic_model);
      self->acoustic_model = g_value_dup_string(value);
      break;
    case PROP_DICTIONARY:
      g_free(self->dictionary);
      self->dictionary = g_value_dup_string(value);
      break;
    case PROP_MAX_LAG:
      self->max_lag = g_value_get_uint(value);
      break;
    case PROP_SPEECH_THRESHOLD:
      self->speech_threshold = g_value_get_double(value);
      break;
    case PROP_SCORE_EVERY:
      self->score_every = g_value_get_uint(value);
      break;
    case PROP_MAX_UTTERANCE:
      self->max_utterance = g_value_get_uint(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_sphinx_asr_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_SPHINX_ASR(object);
  if (prop_id == PROP_POOL_DECODERS || prop_id == PROP_POOL_THREADS || prop_id == PROP_POOL_SIZE) {
    const sph::PoolStats s = sph::DecoderPool::instance().stats();
    g_value_set_uint(value, prop_id == PROP_POOL_DECODERS ? s.decoders
                            : prop_id == PROP_POOL_THREADS ? s.threads
                                                           : s.max_decoders);
    return;
  }
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_KEYWORDS:
      g_value_set_string(value, self->keywords);
      break;
    case PROP_ACOUSTIC_MODEL:
      g_value_set_string(value, self->acoustic_model);
      break;
    case PROP_DICTIONARY:
      g_value_set_string(value, self->dictionary);
      break;
    case PROP_MAX_LAG:
      g_value_set_uint(value, self->max_lag);
      break;
    case PROP_SPEECH_THRESHOLD:
      g_value_set_double(value, self->speech_threshold);
      break;
    case PROP_SCORE_EVERY:
      g_value_set_uint(value, self->score_every);
      break;
    case PROP_DECODED:
      g_value_set_uint64(value, self->decoded);
      break;
    case PROP_MAX_UTTERANCE:
      g_value_set_uint(value, self->max_utterance);
      break;
    case PROP_DROPPED_UTTERANCES:
      g_value_set_uint64(value, self->dropped_utterances);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_sphinx_asr_finalize(GObject* object) {
  auto* self = GST_SPHINX_ASR(object);
  delete self->stretch;
  delete self->search;
  delete self->config;
  g_free(self->keywords);
  g_free(self->acoustic_model);
  g_free(self->dictionary);
  G_OBJECT_CLASS(gst_sphinx_asr_parent_class)->finalize(object);
}

static GstElement* make_child(GstSphinxAsr* self, const char* factory, const char* name) {
  GstElement* e = gst_element_factory_make(factory, name);
  if (!e) {
    GST_ERROR_OBJECT(self, "missing element %s", factory);
    return nullptr;
  }
  gst_bin_add(GST_BIN(self), e);
  return e;
}

static void gst_sphinx_asr_init(GstSphinxAsr* self) {
  self->keywords = nullptr;
  self->acoustic_model = g_strdup(kDefaultAcousticModel);
  self->dictionary = g_strdup(kDefaultDictionary);
  self->max_lag = kDefaultMaxLagMs;
  self->speech_threshold = kDefaultSpeechThreshold;
  self->score_every = kDefaultScoreEvery;
  self->max_utterance = kDefaultMaxUtteranceMs;
  self->decoded = 0;
  self->dropped_utterances = 0;
  self->warned_drop = false;
  self->search = new std::shared_ptr<const sph::SearchSpec>();
  self->config = new sph::DecoderConfig();
  self->owner = 0;
  self->max_utterance_ms = kDefaultMaxUtteranceMs;
  self->threshold = kDefaultSpeechThreshold;
  new (&self->session) std::atomic<guint>(0);
  new (&self->release_eos) std::atomic<bool>(false);
  new (&self->warned_error) std::atomic<bool>(false);
  self->stretch = new Stretch();

  self->gate = make_child(self, "speechgate", "speech-gate");
  self->sink = make_child(self, "fakesink", "decoder-input");
  GstPad* ghost = gst_ghost_pad_new_no_target_from_template("sink", gst_static_pad_template_get(&sink_template));
  gst_element_add_pad(GST_ELEMENT(self), ghost);
  self->transcript_pad = mediaflow::gstutil::add_transcript_pad(GST_ELEMENT(self), GST_PAD_SRC);
  if (!self->gate || !self->sink) return;  // start fails later

  g_object_set(self->sink, "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, nullptr);
  gst_element_link(self->gate, self->sink);

  GstPad* gsink = gst_element_get_static_pad(self->gate, "sink");
  gst_ghost_pad_set_target(GST_GHOST_PAD(ghost), gsink);
  gst_object_unref(gsink);
  GstPad* dsink = gst_element_get_static_pad(self->sink, "sink");
  gst_pad_add_probe(dsink, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
                                           GST_PAD_PROBE_TYPE_EVENT_FLUSH),
                    on_decoder_input, self, nullptr);
  gst_object_unref(dsink);
}

static void gst_sphinx_asr_class_init(GstSphinxAsrClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);

  gobject_class->set_property = gst_sphinx_asr_set_property;
  gobject_class->get_property = gst_sphinx_asr_get_property;
  gobject_class->finalize = gst_sphinx_asr_finalize;

  /**
   * GstSphinxAsr:keywords:
   *
   * Words or phrases to recognise, separated by commas ("yes, no, talk to a person"). Empty:
   * open vocabulary (slow start). Read when the element goes to READY.
   */
  g_object_class_install_property(
      gobject_class, PROP_KEYWORDS,
      g_param_spec_string("keywords", "Keywords",
                          "Comma-separated words or phrases to recognise (a grammar); empty = open vocabulary",
                          nullptr, GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property(
      gobject_class, PROP_ACOUSTIC_MODEL,
      g_param_spec_string("acoustic-model", "Acoustic model", "Directory of the pocketsphinx acoustic model",
                          kDefaultAcousticModel, GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property(
      gobject_class, PROP_DICTIONARY,
      g_param_spec_string("dictionary", "Dictionary",
                          "CMU-format pronunciation dictionary (keywords take their pronunciations from it)",
                          kDefaultDictionary, GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property(
      gobject_class, PROP_MAX_LAG,
      g_param_spec_uint("max-lag", "Maximum lag",
                        "Unused (kept for pipeline files that set it): the decoder pool's queue is bounded "
                        "process-wide by SPHINX_MAX_PENDING_SECONDS", 100, 600000,
                        kDefaultMaxLagMs, GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  /**
   * GstSphinxAsr:speech-threshold:
   *
   * RMS level (dBFS) of a 20 ms buffer that counts as speech and opens the decoder's gate
   * (speechgate `threshold`). Quiet phone speech is around -35 dBFS, line noise -60 and
   * below; -100 decodes everything but digital silence. Read when the element goes to READY.
   */
  g_object_class_install_property(
      gobject_class, PROP_SPEECH_THRESHOLD,
      g_param_spec_double("speech-threshold", "Speech threshold",
                          "RMS level (dBFS) that counts as speech; quieter audio is not decoded", -100.0, 0.0,
                          kDefaultSpeechThreshold, GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  /**
   * GstSphinxAsr:score-every:
   *
   * Evaluate the acoustic model every N 10 ms frames (pocketsphinx `-ds`; the frames between
   * reuse the last scores). The Gaussian evaluation is most of the decoder's cost in speech:
   * 2 halves it; with a keyword grammar the recognition tests see no difference (word times
   * stay within their bounds). 1 = every frame. Read when the element goes to READY. Part of
   * the shared decoders' configuration: calls with the same value share the pool's decoders;
   * a pool decoder built with another value is rebuilt for the job (keep it uniform).
   */
  g_object_class_install_property(
      gobject_class, PROP_SCORE_EVERY,
      g_param_spec_uint("score-every", "Score every",
                        "Evaluate the acoustic model every N frames (1 = every 10 ms frame)", 1, 4,
                        kDefaultScoreEvery, GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  /**
   * GstSphinxAsr:decoded:
   *
   * Audio (ns) given to the decoder since the element was created: speech, pre-roll and
   * hangover, not the silence between.
   */
  g_object_class_install_property(
      gobject_class, PROP_DECODED,
      g_param_spec_uint64("decoded", "Decoded", "Audio (ns) handed to the decoder pool since creation", 0, G_MAXUINT64, 0,
                          GParamFlags(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  /**
   * GstSphinxAsr:max-utterance:
   *
   * Longest stretch of speech (ms) decoded as one job: a caller who never pauses long enough
   * for the speech gate to close still gets a transcript this often (a word cut at the
   * boundary may be lost). Read when the element goes to READY.
   */
  g_object_class_install_property(
      gobject_class, PROP_MAX_UTTERANCE,
      g_param_spec_uint("max-utterance", "Maximum utterance",
                        "Longest stretch of speech (ms) decoded as one utterance", 1000, 60000,
                        kDefaultMaxUtteranceMs, GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  /**
   * GstSphinxAsr:dropped-utterances:
   *
   * Stretches of speech of this element dropped unrecognised because the process-wide
   * decoder pool's queue was full (SPHINX_MAX_PENDING_SECONDS of audio waiting).
   */
  g_object_class_install_property(
      gobject_class, PROP_DROPPED_UTTERANCES,
      g_param_spec_uint64("dropped-utterances", "Dropped utterances",
                          "Stretches of speech dropped because the decoder pool was full", 0, G_MAXUINT64, 0,
                          GParamFlags(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  /**
   * GstSphinxAsr:pool-decoders:
   *
   * Process-wide: pocketsphinx decoders alive in the shared pool (the same value on every
   * instance). Never more than `pool-size`, whatever the number of calls.
   */
  g_object_class_install_property(
      gobject_class, PROP_POOL_DECODERS,
      g_param_spec_uint("pool-decoders", "Pool decoders", "Decoders alive in the process-wide pool", 0, 64, 0,
                        GParamFlags(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property(
      gobject_class, PROP_POOL_THREADS,
      g_param_spec_uint("pool-threads", "Pool threads", "Threads started by the process-wide decoder pool", 0, 64, 0,
                        GParamFlags(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property(
      gobject_class, PROP_POOL_SIZE,
      g_param_spec_uint("pool-size", "Pool size",
                        "Decoders the process-wide pool may hold (env SPHINX_DECODERS, default: cores)", 0, 64, 0,
                        GParamFlags(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_pad_template(element_class, mediaflow::gstutil::transcript_pad_template(GST_PAD_SRC));
  gst_element_class_set_static_metadata(element_class, "Offline speech recognition (pocketsphinx)",
                                        "Sink/Audio/Analyzer",
                                        "Recognises speech with pocketsphinx, posts mediaflow-transcript messages "
                                        "and pushes them on its transcript pad",
                                        "mediaflow");
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_sphinx_asr_change_state);
  GST_DEBUG_CATEGORY_INIT(gst_sphinx_asr_debug, "sphinxasr", 0, "offline speech recognition (pocketsphinx)");
}
