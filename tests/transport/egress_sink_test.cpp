// The egress base class, through a real transport's element and the host's Sender contract:
// uneven upstream chunks leave as whole 20 ms frames, byte-exact; a mark inside a partial
// frame is held until that frame is complete and sent right after it; the last partial frame
// of a response (and its marks) leaves after `partial-flush-ms` of quiet, or at EOS; an
// interruption drops the unsent tail, becomes the transport's clear, and the held marks
// follow it; `partial-flush-ms=0` flushes the partial frame at each mark (the old behaviour).
#include <mediaflow/gstutil/custom_events.hpp>
#include <mediaflow/plugin_registry.hpp>
#include <mediaflow/transport/egress_sink.hpp>

#include "support/paths.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <span>

namespace {

using mediaflow::transport::OutboundMessage;

struct Sent {
  std::string bytes;
  bool binary, audio;
  gint64 at_us;  // monotonic
};

class RecordingSender final : public mediaflow::transport::Sender {
 public:
  void send(const OutboundMessage& m) override {
    std::lock_guard lock(mu);
    sent.push_back({std::string(m.bytes), m.binary, m.audio, g_get_monotonic_time()});
  }
  std::mutex mu;
  std::vector<Sent> sent;
};

class EgressSink : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gst_init(nullptr, nullptr);
    mediaflow::load_plugins(mediaflow::test::plugin_dir());
  }

  void SetUp() override {
    pipeline = gst_parse_launch(
        "appsrc name=src format=time caps=audio/x-raw,format=S16LE,layout=interleaved,rate=8000,channels=1 "
        "! jambonzsink name=sink",
        nullptr);
    ASSERT_NE(pipeline, nullptr);
    src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    ASSERT_TRUE(MEDIAFLOW_IS_EGRESS_SINK(sink));
    mediaflow::transport::egress_set_format(MEDIAFLOW_EGRESS_SINK(sink),
                                            {mediaflow::transport::AudioFormat::Encoding::kS16le, 8000, 1});
    mediaflow::transport::egress_set_sender(MEDIAFLOW_EGRESS_SINK(sink), sender);
    gst_object_unref(sink);
    ASSERT_NE(gst_element_set_state(pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  }

  void TearDown() override {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(src);
    gst_object_unref(pipeline);
  }

  void push(const std::string& bytes) {
    GstBuffer* b = gst_buffer_new_memdup(bytes.data(), bytes.size());
    GstFlowReturn ret = GST_FLOW_ERROR;
    g_signal_emit_by_name(src, "push-buffer", b, &ret);  // appsrc's action signal: not taken over
    gst_buffer_unref(b);
    ASSERT_EQ(ret, GST_FLOW_OK);
  }
  void send_event(GstEvent* e) { gst_element_send_event(src, e); }
  void mark(const std::string& name) { send_event(mediaflow::gstutil::make_mark_event(name)); }
  std::string push_each_marked(std::span<const std::size_t> sizes);
  void set_flush_ms(guint ms) {
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    ASSERT_NE(g_object_class_find_property(G_OBJECT_GET_CLASS(sink), "partial-flush-ms"), nullptr);
    g_object_set(sink, "partial-flush-ms", ms, nullptr);
    gst_object_unref(sink);
  }
  void interrupt() {
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    GstPad* sinkpad = gst_element_get_static_pad(sink, "sink");
    gst_pad_send_event(sinkpad, mediaflow::gstutil::make_interruption_event(7));  // out of band
    gst_object_unref(sinkpad);
    gst_object_unref(sink);
  }
  void end_of_stream() {
    GstFlowReturn ret = GST_FLOW_ERROR;
    g_signal_emit_by_name(src, "end-of-stream", &ret);
  }
  std::size_t count() {
    std::lock_guard lock(sender->mu);
    return sender->sent.size();
  }
  // Waits until the sink has handed over at least `n` messages.
  std::vector<Sent> wait_for(std::size_t n) {
    for (int i = 0; i < 400; ++i) {
      {
        std::lock_guard lock(sender->mu);
        if (sender->sent.size() >= n) return sender->sent;
      }
      g_usleep(5000);
    }
    std::lock_guard lock(sender->mu);
    return sender->sent;
  }

  GstElement* pipeline = nullptr;
  GstElement* src = nullptr;
  std::shared_ptr<RecordingSender> sender = std::make_shared<RecordingSender>();
};

std::string pattern(std::size_t n, int seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = char((i * 31 + seed) & 0xff);
  return s;
}

TEST_F(EgressSink, UnevenChunksLeaveAsWholeFramesByteExactAndAMarkAfterTheLastOfThem) {
  set_flush_ms(300);  // no early flush however the pushes are spread on a loaded machine
  // A vendor's chunk sizes (even: whole 16-bit samples); 20 ms at 8 kHz PCM is 320 bytes.
  std::string in;
  for (std::size_t n : {40u, 106u, 122u, 138u, 400u, 2u, 318u}) {
    const std::string chunk = pattern(n, int(in.size()));
    in += chunk;
    push(chunk);
  }
  ASSERT_EQ(in.size(), 1126u);  // 3 frames and 166 bytes
  send_event(mediaflow::gstutil::make_mark_event("after-response"));
  const auto sent = wait_for(5);
  ASSERT_EQ(sent.size(), 5u);
  std::string out;
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(sent[i].binary && sent[i].audio);
    EXPECT_EQ(sent[i].bytes.size(), i < 3 ? 320u : 166u) << "frame " << i;
    out += sent[i].bytes;
  }
  EXPECT_EQ(out, in) << "reassembled byte-exact";
  EXPECT_FALSE(sent[4].binary || sent[4].audio);
  EXPECT_EQ(sent[4].bytes, R"({"type":"mark","data":{"name":"after-response"}})");
}

TEST_F(EgressSink, AnInterruptionDropsTheUnsentTailAndSendsTheClear) {
  // The barge-in comes while the tail is unsent: a quiet time longer than the test.
  set_flush_ms(10000);
  push(pattern(320 + 100, 1));  // one frame out, 100 bytes pending
  ASSERT_EQ(wait_for(1).size(), 1u);
  interrupt();
  end_of_stream();
  const auto sent = wait_for(2);
  g_usleep(50000);  // EOS would flush a tail: there must be none
  std::lock_guard lock(sender->mu);
  ASSERT_EQ(sender->sent.size(), 2u);
  EXPECT_EQ(sender->sent[1].bytes, R"({"type":"killAudio"})");
}

// One message, readably: "audio:<bytes>", "mark:<name>", "clear".
std::string describe(const Sent& m) {
  if (m.audio) return "audio:" + std::to_string(m.bytes.size());
  if (m.bytes == R"({"type":"killAudio"})") return "clear";
  const std::string prefix = R"({"type":"mark","data":{"name":")";
  if (m.bytes.rfind(prefix, 0) == 0) return "mark:" + m.bytes.substr(prefix.size(), m.bytes.size() - prefix.size() - 3);
  return "?" + m.bytes;
}

std::vector<std::string> describe(const std::vector<Sent>& sent) {
  std::vector<std::string> out;
  for (const Sent& m : sent) out.push_back(describe(m));
  return out;
}

std::string audio_of(const std::vector<Sent>& sent) {
  std::string out;
  for (const Sent& m : sent)
    if (m.audio) out += m.bytes;
  return out;
}

// A vendor's response as many small audio events, each followed by a mark (elevenlabsagent
// does this): the chunk sizes, and what must leave — 320-byte frames (20 ms of 8 kHz PCM) except
// the last of the response, each mark right after the frame that holds its position.
const std::size_t kChunks[] = {40, 106, 122, 138, 400, 2, 318, 50, 14};  // 1190 = 3 frames + 230
const std::vector<std::string> kExpected = {
    "audio:320", "mark:m0", "mark:m1", "mark:m2",             // 40, 146, 268 lie in frame 1
    "audio:320", "mark:m3",                                   // 406
    "audio:320", "mark:m4", "mark:m5",                        // 806, 808
    "audio:230", "mark:m6", "mark:m7", "mark:m8"};            // 1126, 1176, 1190: the tail

// Pushes chunks of these sizes with a mark m<k> after each; returns the bytes pushed, in order.
std::string EgressSink::push_each_marked(std::span<const std::size_t> sizes) {
  std::string in;
  int k = 0;
  for (std::size_t n : sizes) {
    const std::string chunk = pattern(n, int(in.size()));
    in += chunk;
    push(chunk);
    mark("m" + std::to_string(k++));
  }
  return in;
}

TEST_F(EgressSink, AMarkAfterEachUnevenChunkLandsAfterTheFrameHoldingItAndFramesStayWhole) {
  // The quiet time is longer than any stall of a loaded test machine between two pushes.
  set_flush_ms(300);
  const std::string in = push_each_marked(kChunks);
  const auto sent = wait_for(kExpected.size());  // the tail after the quiet time
  EXPECT_EQ(describe(sent), kExpected);
  EXPECT_EQ(audio_of(sent), in) << "reassembled byte-exact";
  g_usleep(100000);
  EXPECT_EQ(count(), kExpected.size()) << "nothing more";
}

TEST_F(EgressSink, TheLastPartialFrameAndItsMarksLeaveAfterTheQuietTimeNotBefore) {
  set_flush_ms(300);
  const std::string in = push_each_marked(kChunks);
  const gint64 last_push = g_get_monotonic_time();
  // The whole frames leave at once (no pacing) …
  ASSERT_EQ(wait_for(9).size(), 9u);
  const gint64 frames_at = g_get_monotonic_time();
  EXPECT_LT(frames_at - last_push, 250000) << "whole frames are not held back";
  // … the tail and its marks only once no audio came for 300 ms.
  g_usleep(100000);
  EXPECT_EQ(count(), 9u) << "the tail waits for the quiet time";
  const auto sent = wait_for(kExpected.size());
  ASSERT_EQ(describe(sent), kExpected);
  EXPECT_GE(sent[9].at_us - last_push, 300000) << "flushed after the quiet time, not before";
  EXPECT_EQ(audio_of(sent), in);

  // The next response starts on a fresh frame: its whole frames are whole again.
  const std::string next = pattern(2 * 320 + 10, 99);
  push(next.substr(0, 333));
  push(next.substr(333));
  mark("next");
  const auto all = wait_for(kExpected.size() + 4);
  ASSERT_EQ(all.size(), kExpected.size() + 4);
  const std::vector<std::string> described = describe(all);
  const std::vector<std::string> tail(described.begin() + std::ptrdiff_t(kExpected.size()), described.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"audio:320", "audio:320", "audio:10", "mark:next"}));
  EXPECT_EQ(audio_of(all), in + next);
}

TEST_F(EgressSink, EosFlushesThePartialFrameAndItsHeldMarks) {
  set_flush_ms(10000);
  push(pattern(500, 1));  // a frame out, 180 pending
  mark("a");
  push(pattern(100, 2));  // 280 pending
  mark("b");
  ASSERT_EQ(wait_for(1).size(), 1u);
  g_usleep(100000);
  EXPECT_EQ(count(), 1u) << "the marks wait inside the partial frame";
  end_of_stream();
  const auto sent = wait_for(4);
  EXPECT_EQ(describe(sent), (std::vector<std::string>{"audio:320", "audio:280", "mark:a", "mark:b"}));
  EXPECT_EQ(audio_of(sent), pattern(500, 1) + pattern(100, 2));
}

TEST_F(EgressSink, AnInterruptionSendsTheHeldMarksAfterTheClear) {
  // Held marks were never sent; the agent waits for their echo to close its heard accounting,
  // so they follow the clear (the far end, its buffer empty, echoes them at once).
  set_flush_ms(10000);
  push(pattern(420, 1));  // one frame out, 100 bytes pending
  mark("x");
  mark("y");
  ASSERT_EQ(wait_for(1).size(), 1u);
  g_usleep(50000);
  ASSERT_EQ(count(), 1u);
  interrupt();
  end_of_stream();
  const auto sent = wait_for(4);
  g_usleep(50000);  // EOS would flush a tail: there must be none
  EXPECT_EQ(describe(sent), (std::vector<std::string>{"audio:320", "clear", "mark:x", "mark:y"}));
  EXPECT_EQ(count(), 4u);
}

TEST_F(EgressSink, AMarkWithNothingPendingLeavesAtOnce) {
  set_flush_ms(10000);
  push(pattern(640, 3));
  mark("boundary");
  const auto sent = wait_for(3);
  EXPECT_EQ(describe(sent), (std::vector<std::string>{"audio:320", "audio:320", "mark:boundary"}));
}

TEST_F(EgressSink, PartialFlushMsDefaultsTo100) {
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  ASSERT_NE(g_object_class_find_property(G_OBJECT_GET_CLASS(sink), "partial-flush-ms"), nullptr);
  guint ms = 0;
  g_object_get(sink, "partial-flush-ms", &ms, nullptr);
  gst_object_unref(sink);
  EXPECT_EQ(ms, 100u);
}

TEST_F(EgressSink, PartialFlushZeroFlushesThePartialFrameAtEachMark) {
  set_flush_ms(0);
  push(pattern(40, 1));
  mark("m0");
  push(pattern(106, 2));
  mark("m1");
  push(pattern(330, 3));
  const auto sent = wait_for(5);
  g_usleep(100000);
  EXPECT_EQ(describe(sent), (std::vector<std::string>{"audio:40", "mark:m0", "audio:106", "mark:m1", "audio:320"}));
  EXPECT_EQ(count(), 5u) << "without a mark the 10-byte tail waits (no timer at 0)";
  end_of_stream();
  EXPECT_EQ(describe(wait_for(6)).back(), "audio:10");
}

}  // namespace
