// The in-band transcript stream helper (gstutil/transcript_stream.hpp) on its own: a result
// becomes one JSON buffer at its call time and reads back field for field; pushing on a pad
// sends stream-start, caps and segment first, tolerates an unlinked pad, and starts a new
// stream after the pad was deactivated.
#include <mediaflow/gstutil/transcript_stream.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

namespace gu = mediaflow::gstutil;

class TranscriptStream : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
};

GstStructure* final_transcript() {
  GstStructure* word = gst_structure_new("word", "word", G_TYPE_STRING, "yes", "start", G_TYPE_DOUBLE, 2.25, "end",
                                         G_TYPE_DOUBLE, 2.5, "confidence", G_TYPE_DOUBLE, 0.9, "punctuated",
                                         G_TYPE_STRING, "Yes.", nullptr);
  GValue words = G_VALUE_INIT, item = G_VALUE_INIT;
  g_value_init(&words, GST_TYPE_LIST);
  g_value_init(&item, GST_TYPE_STRUCTURE);
  g_value_take_boxed(&item, word);
  gst_value_list_append_and_take_value(&words, &item);
  GstStructure* s = gst_structure_new("mediaflow-transcript", "vendor", G_TYPE_STRING, "test", "text", G_TYPE_STRING,
                                      "yes", "is-final", G_TYPE_BOOLEAN, TRUE, "end-of-utterance", G_TYPE_BOOLEAN,
                                      TRUE, "start", G_TYPE_DOUBLE, 2.25, "duration", G_TYPE_DOUBLE, 0.25,
                                      "confidence", G_TYPE_DOUBLE, 0.75, nullptr);
  gst_structure_take_value(s, "words", &words);
  gst_structure_set(s, "channel", G_TYPE_INT, 0, nullptr);
  return s;
}

TEST_F(TranscriptStream, AFinalTranscriptIsOneJsonBufferAtItsStartAndReadsBack) {
  GstStructure* s = final_transcript();
  GstBuffer* b = gu::make_transcript_buffer(s);
  gst_structure_free(s);
  EXPECT_EQ(GST_BUFFER_PTS(b), 2250 * GST_MSECOND);
  EXPECT_EQ(GST_BUFFER_DURATION(b), 250 * GST_MSECOND);
  auto r = gu::parse_transcript_buffer(b);
  gst_buffer_unref(b);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, gu::TranscriptResult::Kind::kTranscript);
  EXPECT_EQ(r->type, "mediaflow-transcript");
  EXPECT_EQ(r->vendor, "test");
  EXPECT_EQ(r->text, "yes");
  EXPECT_TRUE(r->is_final);
  EXPECT_TRUE(r->end_of_utterance);
  EXPECT_DOUBLE_EQ(r->start, 2.25);
  EXPECT_DOUBLE_EQ(r->duration, 0.25);
  EXPECT_DOUBLE_EQ(r->confidence, 0.75);
  ASSERT_EQ(r->words.size(), 1u);
  EXPECT_EQ(r->words[0].word, "yes");
  EXPECT_DOUBLE_EQ(r->words[0].end, 2.5);
  EXPECT_EQ(r->words[0].punctuated, std::optional<std::string>("Yes."));
}

TEST_F(TranscriptStream, SpeechStartedAndUtteranceEndAreAtTheirOwnTimes) {
  GstStructure* started = gst_structure_new("mediaflow-speech-started", "vendor", G_TYPE_STRING, "test", "timestamp",
                                            G_TYPE_DOUBLE, 1.5, nullptr);
  GstStructure* end = gst_structure_new("mediaflow-utterance-end", "vendor", G_TYPE_STRING, "test", "last-word-end",
                                        G_TYPE_DOUBLE, 3.0, nullptr);
  GstBuffer* a = gu::make_transcript_buffer(started);
  GstBuffer* b = gu::make_transcript_buffer(end);
  EXPECT_EQ(GST_BUFFER_PTS(a), 1500 * GST_MSECOND);
  EXPECT_EQ(GST_BUFFER_PTS(b), 3 * GST_SECOND);
  auto ra = gu::parse_transcript_buffer(a), rb = gu::parse_transcript_buffer(b);
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->kind, gu::TranscriptResult::Kind::kSpeechStarted);
  EXPECT_DOUBLE_EQ(ra->timestamp, 1.5);
  EXPECT_EQ(rb->kind, gu::TranscriptResult::Kind::kUtteranceEnd);
  EXPECT_DOUBLE_EQ(rb->last_word_end, 3.0);
  gst_buffer_unref(a);
  gst_buffer_unref(b);
  gst_structure_free(started);
  gst_structure_free(end);
}

TEST_F(TranscriptStream, NotJsonIsNoResult) {
  const std::string junk = "not json";
  GstBuffer* b = gst_buffer_new_memdup(junk.data(), junk.size());
  EXPECT_FALSE(gu::parse_transcript_buffer(b));
  gst_buffer_unref(b);
  const std::string deep(100, '[');
  b = gst_buffer_new_memdup(deep.data(), deep.size());
  EXPECT_FALSE(gu::parse_transcript_buffer(b));
  gst_buffer_unref(b);
}

struct Received {
  std::vector<GstEventType> events;
  std::vector<GstClockTime> pts;
};

GstFlowReturn on_chain(GstPad* pad, GstObject*, GstBuffer* buffer) {
  auto* r = static_cast<Received*>(g_object_get_data(G_OBJECT(pad), "received"));
  r->pts.push_back(GST_BUFFER_PTS(buffer));
  gst_buffer_unref(buffer);
  return GST_FLOW_OK;
}

gboolean on_event(GstPad* pad, GstObject*, GstEvent* event) {
  auto* r = static_cast<Received*>(g_object_get_data(G_OBJECT(pad), "received"));
  r->events.push_back(GST_EVENT_TYPE(event));
  gst_event_unref(event);
  return TRUE;
}

TEST_F(TranscriptStream, PushingStartsTheStreamToleratesNoPeerAndRestartsAfterDeactivation) {
  // An element class with the template, as an ASR's class_init adds it.
  GstElement* element = gst_element_factory_make("identity", nullptr);
  gst_element_set_state(element, GST_STATE_READY);  // stream ids are made for a started element
  GstPad* src = gst_pad_new_from_template(gu::transcript_pad_template(GST_PAD_SRC), "transcript");
  gst_pad_set_active(src, TRUE);
  GstStructure* s = final_transcript();

  EXPECT_EQ(gu::push_transcript(element, src, s), GST_FLOW_NOT_LINKED);  // no peer: not an error

  GstPad* sink = gst_pad_new_from_template(gu::transcript_pad_template(GST_PAD_SINK), "transcript");
  Received received;
  g_object_set_data(G_OBJECT(sink), "received", &received);
  gst_pad_set_chain_function(sink, on_chain);
  gst_pad_set_event_function(sink, on_event);
  gst_pad_set_active(sink, TRUE);
  ASSERT_EQ(gst_pad_link(src, sink), GST_PAD_LINK_OK);
  EXPECT_EQ(gu::push_transcript(element, src, s), GST_FLOW_OK);
  EXPECT_EQ(gu::push_transcript(element, src, s), GST_FLOW_OK);
  gu::push_transcript_eos(element, src);
  const std::vector<GstEventType> first = {GST_EVENT_STREAM_START, GST_EVENT_CAPS, GST_EVENT_SEGMENT, GST_EVENT_EOS};
  EXPECT_EQ(received.events, first);
  EXPECT_EQ(received.pts, (std::vector<GstClockTime>{2250 * GST_MSECOND, 2250 * GST_MSECOND}));
  GstCaps* caps = gst_pad_get_current_caps(sink);
  ASSERT_NE(caps, nullptr);
  EXPECT_TRUE(gst_structure_has_name(gst_caps_get_structure(caps, 0), MEDIAFLOW_TRANSCRIPT_CAPS));
  gst_caps_unref(caps);

  // Stopped and started again (PAUSED→READY→PAUSED): a new stream.
  gst_pad_set_active(src, FALSE);
  gst_pad_set_active(sink, FALSE);
  EXPECT_EQ(gu::push_transcript(element, src, s), GST_FLOW_FLUSHING);
  gst_pad_set_active(sink, TRUE);
  gst_pad_set_active(src, TRUE);
  received = {};
  EXPECT_EQ(gu::push_transcript(element, src, s), GST_FLOW_OK);
  EXPECT_EQ(received.events, (std::vector<GstEventType>{GST_EVENT_STREAM_START, GST_EVENT_CAPS, GST_EVENT_SEGMENT}));

  gst_structure_free(s);
  gst_pad_set_active(src, FALSE);
  gst_pad_set_active(sink, FALSE);
  gst_object_unref(src);
  gst_object_unref(sink);
  gst_element_set_state(element, GST_STATE_NULL);
  gst_object_unref(element);
}

}  // namespace
