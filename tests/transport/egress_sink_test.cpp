// The egress base class, through a real transport's element and the host's Sender contract:
// uneven upstream chunks leave as whole 20 ms frames, byte-exact; a mark lands after the last
// frame before it; an interruption drops the unsent tail and becomes the transport's clear.
#include <mediaflow/gstutil/custom_events.hpp>
#include <mediaflow/plugin_registry.hpp>
#include <mediaflow/transport/egress_sink.hpp>

#include "support/paths.hpp"

#include <gtest/gtest.h>

#include <mutex>

namespace {

using mediaflow::transport::OutboundMessage;

struct Sent {
  std::string bytes;
  bool binary, audio;
};

class RecordingSender final : public mediaflow::transport::Sender {
 public:
  void send(const OutboundMessage& m) override {
    std::lock_guard lock(mu);
    sent.push_back({std::string(m.bytes), m.binary, m.audio});
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
  push(pattern(320 + 100, 1));  // one frame out, 100 bytes pending
  ASSERT_EQ(wait_for(1).size(), 1u);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstPad* sinkpad = gst_element_get_static_pad(sink, "sink");
  gst_pad_send_event(sinkpad, mediaflow::gstutil::make_interruption_event(7));  // out of band
  gst_object_unref(sinkpad);
  gst_object_unref(sink);
  GstFlowReturn ret = GST_FLOW_ERROR;
  g_signal_emit_by_name(src, "end-of-stream", &ret);
  const auto sent = wait_for(2);
  g_usleep(50000);  // EOS would flush a tail: there must be none
  std::lock_guard lock(sender->mu);
  ASSERT_EQ(sender->sent.size(), 2u);
  EXPECT_EQ(sender->sent[1].bytes, R"({"type":"killAudio"})");
}

}  // namespace
