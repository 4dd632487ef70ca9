/**
 * SECTION:element-sphinxasr
 * @title: sphinxasr
 *
 * Recognises call audio offline with CMU pocketsphinx (Debian's `pocketsphinx` GStreamer
 * element and its `en-us` model) and posts what it hears in the mediaflow transcript schema
 * (docs/transcript-schema.md), with `vendor` = `pocketsphinx`:
 *
 *  - `mediaflow-speech-started` {vendor s, timestamp d}: pocketsphinx's voice activity
 *    detector opened an utterance (≈ 0.1 s after the speech began: its detection window)
 *  - `mediaflow-transcript` {vendor s, text s, is-final b, end-of-utterance b, start d,
 *    duration d, confidence d, words (list of `word` {word s, start d, end d, confidence d}),
 *    channel i}: interim hypotheses while an utterance goes on (no words), then one final per
 *    utterance with `end-of-utterance` = true and word times from the decoder's segmentation
 *  - `mediaflow-utterance-end` {vendor s, last-word-end d} after each final with words
 *
 * Times are call time in seconds (the running time of the audio in this element's input).
 *
 * `keywords` (e.g. "yes, no") restricts recognition to those words or phrases: the element
 * builds a finite-state grammar and a dictionary holding only their pronunciations, so the
 * decoder starts in about 20 ms and every utterance is recognised as one of them. Without
 * `keywords` pocketsphinx decodes open vocabulary with its en-us language model, which takes
 * about 2 s of loading at start (NULL→READY). A keyword missing from the pronunciation
 * dictionary is an element error at start naming the word.
 *
 * Structure: a bin `speechgate ! queue ! audioconvert ! audioresample ! pocketsphinx ! fakesink`.
 * `speechgate` (an energy gate, see its own doc) passes only speech plus 0.5 s of pre-roll
 * before each onset and 0.7 s of hangover after it (pocketsphinx ends an utterance after
 * 0.5 s of non-speech): a caller is silent most of a call, and the decoder (≈ 1 M
 * instructions per 20 ms of speech) then does no work at all, nor does the queue's thread
 * wake up. `speech-threshold` sets its level; `decoded` counts the audio the decoder was
 * given. Word times stay call times across the gaps (the element maps decoder frames back
 * through the stretches it fed). The `queue` is a deliberate hand-off: the host pushes call
 * audio inline from its loop thread and decoding is CPU work, so decoding runs on the
 * queue's thread (as do the conversion and resampling to the model's 16 kHz: gated audio
 * only). The queue is leaky (drops the oldest audio) beyond `max-lag` of audio waiting, so a
 * slow machine never blocks the call loop; speech dropped that way is not recognised.
 * Messages are posted from the queue's thread; pocketsphinx's own `pocketsphinx` messages
 * are converted here and never reach the bus.
 * On EOS the last utterance is finalised and its transcript posted before EOS.
 *
 * ## Example launch line
 * |[
 * espeak-ng -w /tmp/yes.wav "yes"
 * GST_PLUGIN_PATH=build/plugins gst-launch-1.0 -m filesrc location=/tmp/yes.wav ! wavparse ! \
 *     audioconvert ! audioresample ! sphinxasr keywords="yes, no"
 * ]|
 */
#include "gstsphinxasr.hpp"

#include "keyword_grammar.hpp"

#include <pocketsphinx.h>
#include <sphinxbase/err.h>

#include <glib/gstdio.h>
#include <gst/audio/audio.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>

GST_DEBUG_CATEGORY_STATIC(gst_sphinx_asr_debug);
#define GST_CAT_DEFAULT gst_sphinx_asr_debug

namespace {

constexpr const char* kVendor = "pocketsphinx";
constexpr const char* kDefaultAcousticModel = "/usr/share/pocketsphinx/model/en-us/en-us";
constexpr const char* kDefaultDictionary = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";
constexpr guint kDefaultMaxLagMs = 10000;
constexpr double kFrameSeconds = 0.01;        // pocketsphinx's default -frate 100
constexpr double kVadDetectionSeconds = 0.1;  // -vad_startspeech 10 frames
constexpr double kLogBase = 1.0001;           // -logbase: scores are log base 1.0001
constexpr double kDefaultSpeechThreshold = -45.0;  // dBFS, speechgate's `threshold`
constexpr guint kDefaultScoreEvery = 2;       // pocketsphinx -ds
constexpr std::size_t kMaxStretches = 64;     // fed stretches remembered for word times

enum {
  PROP_0,
  PROP_KEYWORDS,
  PROP_ACOUSTIC_MODEL,
  PROP_DICTIONARY,
  PROP_MAX_LAG,
  PROP_SPEECH_THRESHOLD,
  PROP_SCORE_EVERY,
  PROP_DECODED,
};

// One contiguous stretch of audio fed to the decoder: `fed` = audio fed before it (the
// decoder's own time axis), `call` = its running time. speechgate leaves gaps between them.
struct FedStretch {
  GstClockTime fed;
  GstClockTime call;
};

// Where the decoder is in call time. Touched only on the queue's streaming thread (the
// recogniser's chain and its synchronous messages), reset in state changes while it is stopped.
struct UtteranceClock {
  GstSegment segment;
  bool open = false;              // pocketsphinx has an utterance started
  GstClockTime start = 0;         // running time of the utterance's first sample
  guint buffers = 0;              // buffers fed to this utterance
  GstClockTime end = 0;           // running time of the end of the latest buffer fed
  bool fed = false;               // any audio fed since start
  GstClockTime origin = 0;        // running time of the first sample fed since start
  bool vad = false;               // the decoder's voice activity detector is on
  double vad_onset = 0;           // call time at which it estimates the speech began
  bool announced = false;         // speech-started posted for this utterance
  GstClockTime fed_total = 0;     // audio fed since start (the decoder's time axis)
  std::deque<FedStretch> stretches;
  UtteranceClock() { gst_segment_init(&segment, GST_FORMAT_TIME); }

  // Call time (s) of `decoder_seconds` on the decoder's axis (0 = first audio fed).
  double call_time(double decoder_seconds) const {
    if (stretches.empty()) return seconds(origin) + decoder_seconds;
    const auto fed = static_cast<GstClockTime>(std::max(0.0, decoder_seconds) * GST_SECOND);
    auto it = std::upper_bound(stretches.begin(), stretches.end(), fed,
                               [](GstClockTime f, const FedStretch& s) { return f < s.fed; });
    const FedStretch& s = it == stretches.begin() ? *it : *std::prev(it);
    return seconds(s.call) + (decoder_seconds - seconds(s.fed));
  }
  static double seconds(GstClockTime t) { return static_cast<double>(t) / GST_SECOND; }
};

// Dictionary subsets are read once per (dictionary, keywords) and process.
struct GrammarCacheEntry {
  std::string fsg;
  mediaflow::sphinx::DictionarySubset dictionary;
};
std::mutex grammar_cache_mutex;
std::map<std::string, std::shared_ptr<const GrammarCacheEntry>> grammar_cache;

}  // namespace

struct _GstSphinxAsr {
  GstBin parent;
  GstElement* recognizer;  // pocketsphinx
  GstElement* gate;        // speechgate
  GstElement* queue;
  // Settings (GST_OBJECT_LOCK).
  gchar* keywords;
  gchar* acoustic_model;
  gchar* dictionary;
  guint max_lag;
  double speech_threshold;
  guint score_every;
  guint64 decoded;  // GST_OBJECT_LOCK: audio (ns) given to the decoder
  // Between READY and NULL.
  gchar* workdir;
  ps_decoder_t* decoder;  // our reference to the recogniser's decoder
  UtteranceClock* clock;
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

bool is_filler(const char* word) { return !word || word[0] == '<' || word[0] == '[' || g_str_has_prefix(word, "++"); }

// "yes(2)" (an alternate pronunciation) → "yes".
std::string base_word(const char* word) {
  std::string w = word;
  if (const auto paren = w.find('('); paren != std::string::npos && paren > 0) w.resize(paren);
  return w;
}

void post(GstSphinxAsr* self, GstStructure* s) {
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

GstStructure* transcript(const char* text, bool final, double start, double duration, double confidence) {
  return gst_structure_new("mediaflow-transcript", "vendor", G_TYPE_STRING, kVendor, "text", G_TYPE_STRING, text,
                           "is-final", G_TYPE_BOOLEAN, final, "end-of-utterance", G_TYPE_BOOLEAN, final, "start",
                           G_TYPE_DOUBLE, start, "duration", G_TYPE_DOUBLE, std::max(0.0, duration), "confidence",
                           G_TYPE_DOUBLE, confidence, "channel", G_TYPE_INT, 0, nullptr);
}

void announce_speech(GstSphinxAsr* self, double at) {
  UtteranceClock& c = *self->clock;
  if (c.announced) return;
  c.announced = true;
  post(self, gst_structure_new("mediaflow-speech-started", "vendor", G_TYPE_STRING, kVendor, "timestamp",
                               G_TYPE_DOUBLE, at, nullptr));
}

// pocketsphinx posted a final hypothesis (from its chain or EOS handler, after ps_end_utt: the
// segmentation is stable and this is the decoder's own thread).
void on_final(GstSphinxAsr* self, const char* hyp, long log_score) {
  UtteranceClock& c = *self->clock;
  // Segment frames count from the first audio the decoder was given (the frame counter runs
  // on across utterances; measured with pocketsphinx 5prealpha), 100 per second, on the
  // decoder's axis: the fed stretches map them back to call time across speechgate's gaps.
  const double end = seconds(c.end);
  const double floor = c.open ? seconds(c.start) : seconds(c.origin);
  auto at = [&](int frame) { return std::clamp(c.call_time(frame * kFrameSeconds), floor, end); };
  GValue words = G_VALUE_INIT;
  g_value_init(&words, GST_TYPE_LIST);
  double first = -1, last = -1;
  for (ps_seg_t* seg = ps_seg_iter(self->decoder); seg; seg = ps_seg_next(seg)) {
    const char* w = ps_seg_word(seg);
    if (is_filler(w)) continue;
    int sf = 0, ef = 0;
    ps_seg_frames(seg, &sf, &ef);
    int32 ascr = 0, lscr = 0, lback = 0;
    const double ws = at(sf), we = std::max(ws, at(ef + 1));
    GST_LOG_OBJECT(self, "word frames %d..%d, utterance %.3f..%.3f", sf, ef, floor, end);
    GValue v = G_VALUE_INIT;
    g_value_init(&v, GST_TYPE_STRUCTURE);
    GstStructure* word = gst_structure_new("word", "word", G_TYPE_STRING, base_word(w).c_str(), "start", G_TYPE_DOUBLE,
                                           ws, "end", G_TYPE_DOUBLE, we, "confidence", G_TYPE_DOUBLE,
                                           probability(ps_seg_prob(seg, &ascr, &lscr, &lback)), nullptr);
    gst_value_set_structure(&v, word);
    gst_structure_free(word);
    gst_value_list_append_and_take_value(&words, &v);
    if (first < 0) first = ws;
    last = we;
  }
  const bool has_words = gst_value_list_get_size(&words) > 0;
  if (hyp && *hyp && has_words) {
    announce_speech(self, std::min(first, c.vad ? c.vad_onset : first));  // too short for an interim
    GstStructure* s = transcript(hyp, true, first, last - first, probability(log_score));
    gst_structure_take_value(s, "words", &words);
    post(self, s);
    post(self, gst_structure_new("mediaflow-utterance-end", "vendor", G_TYPE_STRING, kVendor, "last-word-end",
                                 G_TYPE_DOUBLE, last, nullptr));
  } else {
    g_value_unset(&words);
  }
  c.open = false;
  c.vad = false;
  c.announced = false;
  c.buffers = 0;
}

// An interim hypothesis: speech is recognised (not just sound), so this is where
// speech-started is posted; noise that never yields a word posts nothing.
void on_partial(GstSphinxAsr* self, const char* hyp, long log_score) {
  UtteranceClock& c = *self->clock;
  if (!hyp || !*hyp) return;
  const double start = c.vad ? c.vad_onset : seconds(c.start);
  announce_speech(self, start);
  post(self, transcript(hyp, false, start, seconds(c.end) - start, probability(log_score)));
}

// The queue's limit is audio waiting, in bytes: its time level would count the gaps
// speechgate leaves between stretches as lag. Runs on the upstream thread at each caps.
GstPadProbeReturn size_queue(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* self = GST_SPHINX_ASR(data);
  GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(ev) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
  GstCaps* caps = nullptr;
  gst_event_parse_caps(ev, &caps);
  GstAudioInfo ai;
  if (!gst_audio_info_from_caps(&ai, caps)) return GST_PAD_PROBE_OK;
  GST_OBJECT_LOCK(self);
  const guint max_lag = self->max_lag;
  GST_OBJECT_UNLOCK(self);
  const guint64 bytes = gst_util_uint64_scale(max_lag, guint64(GST_AUDIO_INFO_RATE(&ai)) * GST_AUDIO_INFO_BPF(&ai), 1000);
  g_object_set(self->queue, "max-size-time", guint64(0), "max-size-bytes", guint(std::min<guint64>(bytes, G_MAXUINT)),
               nullptr);
  return GST_PAD_PROBE_OK;
}

// Runs on the queue's thread before pocketsphinx sees each buffer/event.
GstPadProbeReturn on_recognizer_input(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* self = GST_SPHINX_ASR(data);
  UtteranceClock& c = *self->clock;
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(ev) == GST_EVENT_SEGMENT) {
      const GstSegment* seg = nullptr;
      gst_event_parse_segment(ev, &seg);
      if (seg->format == GST_FORMAT_TIME) gst_segment_copy_into(seg, &c.segment);
    }
    return GST_PAD_PROBE_OK;
  }
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  GstClockTime pts = GST_BUFFER_PTS(buf);
  if (!GST_CLOCK_TIME_IS_VALID(pts)) pts = c.end;
  GstClockTime rt = gst_segment_to_running_time(&c.segment, GST_FORMAT_TIME, pts);
  if (!GST_CLOCK_TIME_IS_VALID(rt)) rt = c.end;
  // What the decoder concluded from the previous buffer.
  if (c.open && c.buffers > 0 && self->decoder) {
    const bool in_speech = ps_get_in_speech(self->decoder);
    if (in_speech && !c.vad) {
      c.vad = true;
      c.vad_onset = std::max(seconds(c.start), seconds(c.end) - kVadDetectionSeconds);
    } else if (!in_speech && c.vad) {
      // pocketsphinx closed the utterance without a hypothesis to post.
      c.open = false;
      c.vad = false;
      c.announced = false;
    }
  }
  if (!c.fed) {
    c.fed = true;
    c.origin = rt;
  }
  const GstClockTime duration = GST_BUFFER_DURATION(buf);
  const GstClockTime length = GST_CLOCK_TIME_IS_VALID(duration) ? duration : 0;
  // A new stretch after a gap (speechgate dropped silence) or at the first buffer.
  if (c.stretches.empty() || rt > c.end + GST_MSECOND || rt + GST_MSECOND < c.end) {
    c.stretches.push_back({c.fed_total, rt});
    if (c.stretches.size() > kMaxStretches) c.stretches.pop_front();
  }
  c.fed_total += length;
  GST_OBJECT_LOCK(self);
  self->decoded += length;
  GST_OBJECT_UNLOCK(self);
  if (!c.open) {
    c.open = true;
    c.start = rt;
    c.buffers = 0;
  }
  ++c.buffers;
  c.end = rt + length;
  return GST_PAD_PROBE_OK;
}

std::shared_ptr<const GrammarCacheEntry> grammar_for(const std::string& keywords, const std::string& dictionary,
                                                     std::string* error) {
  const std::string key = dictionary + '\n' + keywords;
  std::lock_guard lock(grammar_cache_mutex);
  if (auto it = grammar_cache.find(key); it != grammar_cache.end()) return it->second;
  const auto phrases = mediaflow::sphinx::parse_keywords(keywords);
  std::ifstream in(dictionary);
  if (!in) {
    *error = "cannot read pronunciation dictionary " + dictionary;
    return nullptr;
  }
  auto entry = std::make_shared<GrammarCacheEntry>();
  entry->fsg = mediaflow::sphinx::fsg_text(phrases);
  entry->dictionary = mediaflow::sphinx::dictionary_subset(in, mediaflow::sphinx::words_of(phrases));
  grammar_cache.emplace(key, entry);
  return entry;
}

bool write_file(const std::string& path, const std::string& text) {
  return g_file_set_contents(path.c_str(), text.c_str(), static_cast<gssize>(text.size()), nullptr);
}

void remove_workdir(GstSphinxAsr* self) {
  if (!self->workdir) return;
  for (const char* f : {"keywords.fsg", "keywords.dict"}) {
    gchar* p = g_build_filename(self->workdir, f, nullptr);
    g_remove(p);
    g_free(p);
  }
  g_rmdir(self->workdir);
  g_clear_pointer(&self->workdir, g_free);
}

// Configures the recogniser before it loads its models (NULL→READY).
bool configure_recognizer(GstSphinxAsr* self) {
  GST_OBJECT_LOCK(self);
  const std::string keywords = self->keywords ? self->keywords : "";
  const std::string model = self->acoustic_model ? self->acoustic_model : kDefaultAcousticModel;
  const std::string dictionary = self->dictionary ? self->dictionary : kDefaultDictionary;
  const guint max_lag = self->max_lag;
  const double threshold = self->speech_threshold;
  const guint score_every = self->score_every;
  GST_OBJECT_UNLOCK(self);

  g_object_set(self->gate, "threshold", threshold, nullptr);
  // Until the caps are known (size_queue): time.
  g_object_set(self->queue, "max-size-time", guint64(max_lag) * GST_MSECOND, "max-size-bytes", 0u, nullptr);
  g_object_set(self->recognizer, "hmm", model.c_str(), "dsratio", gint(score_every), nullptr);
  if (mediaflow::sphinx::parse_keywords(keywords).empty()) {
    g_object_set(self->recognizer, "dict", dictionary.c_str(), nullptr);
    return true;  // open vocabulary: the recogniser's default language model
  }
  std::string error;
  auto grammar = grammar_for(keywords, dictionary, &error);
  if (!grammar) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("%s", error.c_str()), (nullptr));
    return false;
  }
  if (!grammar->dictionary.missing.empty()) {
    std::string missing;
    for (const auto& w : grammar->dictionary.missing) missing += (missing.empty() ? "" : ", ") + w;
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
                      ("keywords without a pronunciation in the dictionary: %s", missing.c_str()),
                      ("dictionary %s", dictionary.c_str()));
    return false;
  }
  self->workdir = g_dir_make_tmp("mediaflow-sphinxasr-XXXXXX", nullptr);
  if (!self->workdir) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("cannot create a temporary directory for the grammar"), (nullptr));
    return false;
  }
  gchar* fsg = g_build_filename(self->workdir, "keywords.fsg", nullptr);
  gchar* dict = g_build_filename(self->workdir, "keywords.dict", nullptr);
  const bool ok = write_file(fsg, grammar->fsg) && write_file(dict, grammar->dictionary.text);
  if (ok) g_object_set(self->recognizer, "dict", dict, "fsg", fsg, nullptr);  // fsg replaces the LM
  g_free(fsg);
  g_free(dict);
  if (!ok) {
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("cannot write the keyword grammar"), (nullptr));
    remove_workdir(self);
  }
  return ok;
}

}  // namespace

static void gst_sphinx_asr_handle_message(GstBin* bin, GstMessage* message) {
  auto* self = GST_SPHINX_ASR(bin);
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ELEMENT && GST_MESSAGE_SRC(message) == GST_OBJECT(self->recognizer) &&
      gst_message_has_name(message, "pocketsphinx")) {
    // Posted synchronously from the recogniser's streaming thread: convert in place.
    const GstStructure* s = gst_message_get_structure(message);
    gboolean final = FALSE;
    glong score = 0;
    gst_structure_get_boolean(s, "final", &final);
    gst_structure_get(s, "confidence", G_TYPE_LONG, &score, nullptr);
    const char* hyp = gst_structure_get_string(s, "hypothesis");
    if (self->decoder) {
      if (final) {
        on_final(self, hyp, score);
      } else {
        on_partial(self, hyp, score);
      }
    }
    gst_message_unref(message);
    return;
  }
  GST_BIN_CLASS(gst_sphinx_asr_parent_class)->handle_message(bin, message);
}

static GstStateChangeReturn gst_sphinx_asr_change_state(GstElement* element, GstStateChange transition) {
  auto* self = GST_SPHINX_ASR(element);
  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!configure_recognizer(self)) return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      *self->clock = UtteranceClock{};
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      if (self->decoder) {
        ps_free(self->decoder);
        self->decoder = nullptr;
      }
      break;
    default:
      break;
  }
  const gint64 started = g_get_monotonic_time();
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_sphinx_asr_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY) {
    if (ret == GST_STATE_CHANGE_FAILURE) {
      remove_workdir(self);
      return ret;
    }
    GST_INFO_OBJECT(self, "decoder ready in %" G_GINT64_FORMAT " ms", (g_get_monotonic_time() - started) / 1000);
    g_object_get(self->recognizer, "decoder", &self->decoder, nullptr);  // a reference (ps_retain)
  } else if (transition == GST_STATE_CHANGE_READY_TO_NULL) {
    remove_workdir(self);
  }
  return ret;
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
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_sphinx_asr_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_SPHINX_ASR(object);
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
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_sphinx_asr_finalize(GObject* object) {
  auto* self = GST_SPHINX_ASR(object);
  remove_workdir(self);
  if (self->decoder) ps_free(self->decoder);
  delete self->clock;
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
  self->decoded = 0;
  self->workdir = nullptr;
  self->decoder = nullptr;
  self->clock = new UtteranceClock();

  self->gate = make_child(self, "speechgate", "speech-gate");
  self->queue = make_child(self, "queue", "decode-queue");
  GstElement* convert = make_child(self, "audioconvert", nullptr);
  GstElement* resample = make_child(self, "audioresample", nullptr);
  GstElement* caps = make_child(self, "capsfilter", nullptr);
  self->recognizer = make_child(self, "pocketsphinx", "recognizer");
  GstElement* sink = make_child(self, "fakesink", nullptr);
  GstPad* ghost = gst_ghost_pad_new_no_target_from_template("sink", gst_static_pad_template_get(&sink_template));
  gst_element_add_pad(GST_ELEMENT(self), ghost);
  if (!self->gate || !self->queue || !convert || !resample || !caps || !self->recognizer || !sink)
    return;  // start fails later

  // Leaky: the host's loop thread must never wait for the decoder.
  g_object_set(self->queue, "leaky", 2 /* downstream: drop oldest */, "max-size-buffers", 0u, "max-size-bytes", 0u,
               "max-size-time", guint64(kDefaultMaxLagMs) * GST_MSECOND, nullptr);
  GstCaps* c = gst_caps_from_string("audio/x-raw, format=S16LE, rate=16000, channels=1, layout=interleaved");
  g_object_set(caps, "caps", c, nullptr);
  gst_caps_unref(c);
  // The recogniser's text output is unused: results are its messages.
  g_object_set(sink, "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, nullptr);
  gst_element_link_many(self->gate, self->queue, convert, resample, caps, self->recognizer, sink, nullptr);

  GstPad* gsink = gst_element_get_static_pad(self->gate, "sink");
  gst_ghost_pad_set_target(GST_GHOST_PAD(ghost), gsink);
  gst_object_unref(gsink);
  GstPad* qsink = gst_element_get_static_pad(self->queue, "sink");
  gst_pad_add_probe(qsink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, size_queue, self, nullptr);
  gst_object_unref(qsink);
  GstPad* rsink = gst_element_get_static_pad(self->recognizer, "sink");
  gst_pad_add_probe(rsink, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                    on_recognizer_input, self, nullptr);
  gst_object_unref(rsink);
}

static void gst_sphinx_asr_class_init(GstSphinxAsrClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBinClass* bin_class = GST_BIN_CLASS(klass);

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
                        "Audio (ms) that may wait for the decoder; older audio is dropped beyond it", 100, 600000,
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
   * stay within their bounds). 1 = every frame. Read when the element goes to READY.
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
      g_param_spec_uint64("decoded", "Decoded", "Audio (ns) given to the decoder since creation", 0, G_MAXUINT64, 0,
                          GParamFlags(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(element_class, "Offline speech recognition (pocketsphinx)",
                                        "Sink/Audio/Analyzer",
                                        "Recognises speech with pocketsphinx, posts mediaflow-transcript messages",
                                        "mediaflow");
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_sphinx_asr_change_state);
  bin_class->handle_message = GST_DEBUG_FUNCPTR(gst_sphinx_asr_handle_message);
  GST_DEBUG_CATEGORY_INIT(gst_sphinx_asr_debug, "sphinxasr", 0, "offline speech recognition (pocketsphinx)");
  // pocketsphinx prints its whole configuration to stderr at every decoder start: keep the
  // host's log (JSON lines) clean. Process-wide; errors surface as element errors.
  err_set_logfp(nullptr);
}
