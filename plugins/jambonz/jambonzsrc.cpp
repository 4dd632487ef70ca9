/**
 * SECTION:element-jambonzsrc
 * @title: jambonzsrc
 *
 * One track of a jambonz `listen` call (docs/jambonz.md) as `audio/x-raw, format=S16LE,
 * channels=1` at the call's sample rate: the jambonz transport's ingest (MediaflowIngestSrc,
 * mediaflow/transport/ingest_src.hpp). Live only: the host pushes the call's PCM from its loop
 * (a stereo call's frames are split into the `inbound` and `outbound` tracks first); the base
 * class's action signals do the same for tools and tests. Element messages: `jambonz-mark`
 * (`name`: a mark jambonz played or cleared) and `jambonz-dtmf` (`digit`, `track`).
 */
#include "jambonzsrc.h"

GST_DEBUG_CATEGORY_STATIC(gst_jambonz_src_debug);

struct _GstJambonzSrc {
  MediaflowIngestSrc parent;
};

G_DEFINE_TYPE(GstJambonzSrc, gst_jambonz_src, MEDIAFLOW_TYPE_INGEST_SRC)
GST_ELEMENT_REGISTER_DEFINE(jambonzsrc, "jambonzsrc", GST_RANK_NONE, GST_TYPE_JAMBONZ_SRC)

// The rates jambonz's listen verb allows (protocol/jambonz_metadata.hpp, kSampleRates).
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-raw, format = (string) S16LE, layout = (string) interleaved, "
                    "rate = (int) { 8000, 16000, 24000, 48000, 64000 }, channels = (int) 1"));

static void gst_jambonz_src_init(GstJambonzSrc*) {}

static void gst_jambonz_src_class_init(GstJambonzSrcClass* klass) {
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* ingest_class = MEDIAFLOW_INGEST_SRC_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(gst_jambonz_src_debug, "jambonzsrc", 0, "jambonz listen source");
  ingest_class->mark_message = "jambonz-mark";
  ingest_class->dtmf_message = "jambonz-dtmf";
  // The base class's "src" pad is made from this template.
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "jambonz listen source", "Source/Audio/Network",
                                        "Caller audio of a jambonz / FreeSWITCH audio-fork call, pushed by the host",
                                        "mediaflow");
}
