// espeakagent's synthesis runs on one process-wide pool (plugins/agent_offline/synthesis_pool.hpp),
// not on a thread per call: many calls all greet and answer while the process's thread count
// stays put; a call's sentences keep their order even when a later one is already in the
// speech cache; a sentence in the cache is said at once, without the pool; an element torn
// down while its sentence waits for, or is in, synthesis is safe (run under ASan).
#include "synthesis_pool.hpp"

#include "support/agent_call.hpp"
#include "support/loop_thread.hpp"
#include "support/paths.hpp"

#include <mediaflow/gstutil/transcript_stream.hpp>
#include <mediaflow/plugin_registry.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace mediaflow::test {
namespace {

constexpr const char* kCallerCaps8k = "audio/x-raw,format=S16LE,rate=8000,channels=1,layout=interleaved";
constexpr std::size_t kFrame8k = 320;  // 20 ms

std::size_t process_threads() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// A sentence long enough that espeak-ng takes a while (~3 min of speech, > 100 ms of
// synthesis where a call starts in a few ms): the pool is busy meanwhile.
std::string long_sentence(const std::string& who) {
  std::string s = "This is the long greeting of " + who + ".";
  for (int i = 0; i < 40; ++i) s += " It goes on and on so that synthesising it keeps the pool busy for a while.";
  return s;
}

std::vector<std::string> texts(AgentCall& call, const char* kind) {
  std::vector<std::string> out;
  for (GstStructure* s : call.agent_events(kind)) {
    out.emplace_back(gst_structure_get_string(s, "text"));
    gst_structure_free(s);
  }
  return out;
}

// What the ASR linked to the agent's transcript pad sends (from the call's loop).
void say_final(AgentCall& call, const char* text) {
  GstStructure* s = gst_structure_new("mediaflow-transcript", "vendor", G_TYPE_STRING, "test", "text", G_TYPE_STRING,
                                      text, "is-final", G_TYPE_BOOLEAN, TRUE, "end-of-utterance", G_TYPE_BOOLEAN,
                                      TRUE, nullptr);
  ASSERT_TRUE(call.push_transcript(s)) << "no transcript pad";
}

std::unique_ptr<AgentCall> agent_call(const std::string& props) {
  GError* err = nullptr;
  GstElement* bin = gst_parse_bin_from_description(
      ("espeakagent name=agent rate=8000 " + props + " ! audio/x-raw,format=S16LE,rate=8000,channels=1 ! mulawenc")
          .c_str(),
      TRUE, &err);
  EXPECT_EQ(err, nullptr) << (err ? err->message : "");
  return std::make_unique<AgentCall>(bin, kCallerCaps8k, 16000);
}

class EspeakSynthesisPool : public ::testing::Test {
 protected:
  void SetUp() override {
    gst_init(nullptr, nullptr);
    load_plugins(plugin_dir());
  }
};

TEST(EspeakSynthesisPoolUnit, RunsTasksInOrderOnItsOwnThreads) {
  std::vector<int> order;
  std::vector<std::thread::id> ran_on;
  std::promise<void> done;
  {
    offline_agent::SynthesisPool pool(1);
    EXPECT_EQ(pool.thread_count(), 1u);
    for (int i = 0; i < 50; ++i) {
      pool.run([&, i] {
        order.push_back(i);
        ran_on.push_back(std::this_thread::get_id());
        if (i == 49) done.set_value();
      });
    }
    ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  }  // joins
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[std::size_t(i)], i);
  EXPECT_NE(ran_on[0], std::this_thread::get_id());
  EXPECT_TRUE(std::all_of(ran_on.begin(), ran_on.end(), [&](auto id) { return id == ran_on[0]; }));
}

TEST(EspeakSynthesisPoolUnit, DestructionRunsWhatIsQueued) {
  std::atomic<int> ran{0};
  {
    offline_agent::SynthesisPool pool(2);
    for (int i = 0; i < 20; ++i) pool.run([&] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 20);
}

// Calls driven the way the host drives them: several calls share one loop thread (the host
// has one per core), pushing caller audio inline. Each call: [test pad] → espeakagent → fakesink,
// and [test pad] → the agent's transcript pad (where an ASR would be linked).
struct LoopCall {
  GstElement* pipeline = nullptr;
  GstPad* src = nullptr;
  GstPad* transcript = nullptr;
  GstBus* bus = nullptr;
  std::atomic<int> audible_buffers{0};
  std::vector<std::string> responses;
  std::uint64_t pushed = 0;
};

GstPadProbeReturn count_audible(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* call = static_cast<LoopCall*>(data);
  GstMapInfo map;
  GstBuffer* b = GST_PAD_PROBE_INFO_BUFFER(info);
  if (gst_buffer_map(b, &map, GST_MAP_READ)) {
    const auto* s = reinterpret_cast<const std::int16_t*>(map.data);
    bool loud = false;
    for (std::size_t i = 0; i < map.size / 2 && !loud; ++i) loud = std::abs(int(s[i])) > 1000;
    if (loud) ++call->audible_buffers;
    gst_buffer_unmap(b, &map);
  }
  return GST_PAD_PROBE_OK;
}

TEST_F(EspeakSynthesisPool, ManyCallsGreetAndAnswerWithoutAThreadPerCall) {
  constexpr int kCalls = 20;
  const std::string greeting = "Hello from the pool test. Please say a number.";
  LoopThread loop;
  std::vector<std::unique_ptr<LoopCall>> calls;
  const std::size_t threads_before = process_threads();
  std::size_t threads_peak = threads_before;

  loop.run_sync([&] {
    for (int i = 0; i < kCalls; ++i) {
      auto call = std::make_unique<LoopCall>();
      GError* err = nullptr;
      call->pipeline = gst_parse_launch(
          ("espeakagent name=agent rate=8000 greeting=\"" + greeting + "\" ! fakesink name=sink async=false").c_str(),
          &err);
      ASSERT_EQ(err, nullptr) << err->message;
      GstElement* agent = gst_bin_get_by_name(GST_BIN(call->pipeline), "agent");
      GstElement* sink = gst_bin_get_by_name(GST_BIN(call->pipeline), "sink");
      GstPad* agent_sink = gst_element_get_static_pad(agent, "sink");
      GstPad* sink_pad = gst_element_get_static_pad(sink, "sink");
      gst_pad_add_probe(sink_pad, GST_PAD_PROBE_TYPE_BUFFER, count_audible, call.get(), nullptr);
      call->src = gst_pad_new("src", GST_PAD_SRC);
      gst_pad_link(call->src, agent_sink);
      gst_object_unref(agent_sink);
      GstPad* agent_transcript = gst_element_get_static_pad(agent, "transcript");
      call->transcript = gst_pad_new("transcript", GST_PAD_SRC);
      gst_pad_link(call->transcript, agent_transcript);
      gst_object_unref(agent_transcript);
      gst_object_unref(sink_pad);
      gst_object_unref(agent);
      gst_object_unref(sink);
      call->bus = gst_element_get_bus(call->pipeline);
      gst_pad_set_active(call->src, TRUE);
      gst_pad_set_active(call->transcript, TRUE);
      gst_element_set_state(call->pipeline, GST_STATE_PLAYING);
      gst_pad_push_event(call->src, gst_event_new_stream_start(("call-" + std::to_string(i)).c_str()));
      GstCaps* caps = gst_caps_from_string(kCallerCaps8k);
      gst_pad_push_event(call->src, gst_event_new_caps(caps));
      gst_caps_unref(caps);
      GstSegment segment;
      gst_segment_init(&segment, GST_FORMAT_TIME);
      gst_pad_push_event(call->src, gst_event_new_segment(&segment));
      // The caller says a different number in each call: every answer is a new sentence.
      const std::string heard = "number " + std::to_string(i + 1);
      GstStructure* s = gst_structure_new("mediaflow-transcript", "vendor", G_TYPE_STRING, "test", "text",
                                          G_TYPE_STRING, heard.c_str(), "is-final", G_TYPE_BOOLEAN, TRUE,
                                          "end-of-utterance", G_TYPE_BOOLEAN, TRUE, nullptr);
      gstutil::push_transcript(call->pipeline, call->transcript, s);
      gst_structure_free(s);
      calls.push_back(std::move(call));
    }
  });
  ASSERT_EQ(calls.size(), std::size_t(kCalls));

  auto pump = [&] {
    for (auto& call : calls) {
      while (GstMessage* m = gst_bus_pop_filtered(call->bus, GST_MESSAGE_ELEMENT)) {
        const GstStructure* s = gst_message_get_structure(m);
        if (s && gst_structure_has_name(s, "mediaflow-agent-event") &&
            !g_strcmp0(gst_structure_get_string(s, "kind"), "agent_response"))
          call->responses.emplace_back(gst_structure_get_string(s, "text"));
        gst_message_unref(m);
      }
    }
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto all_answered = [&] {
    return std::all_of(calls.begin(), calls.end(), [](const auto& c) { return c->responses.size() >= 2; });
  };
  while (!all_answered() && std::chrono::steady_clock::now() < deadline) {
    threads_peak = std::max(threads_peak, process_threads());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    pump();
  }
  threads_peak = std::max(threads_peak, process_threads());
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_EQ(calls[std::size_t(i)]->responses,
              (std::vector<std::string>{greeting, "You said number " + std::to_string(i + 1) + "."}))
        << "call " << i << ": the greeting, then the answer";
  }
  // Before: one synthesis thread per call (kCalls more). Now: the pool's, and the one thread
  // libespeak-ng starts in espeak_Initialize (once per process), at most.
  EXPECT_LE(threads_peak - threads_before, std::size_t(offline_agent::kSynthesisThreads) + 1)
      << "threads before " << threads_before << ", peak " << threads_peak;

  // 5 s of caller audio (all calls on the one loop, 20 ms at a time) lets both utterances out.
  const std::vector<std::uint8_t> frame(kFrame8k, 0);
  for (int step = 0; step < 250; ++step) {
    loop.run_sync([&] {
      for (auto& call : calls) {
        GstBuffer* b = gst_buffer_new_memdup(frame.data(), frame.size());
        GST_BUFFER_PTS(b) = gst_util_uint64_scale(call->pushed, GST_SECOND, 16000);
        GST_BUFFER_DURATION(b) = 20 * GST_MSECOND;
        call->pushed += frame.size();
        gst_pad_push(call->src, b);
      }
    });
  }
  for (int i = 0; i < kCalls; ++i)
    EXPECT_GT(calls[std::size_t(i)]->audible_buffers.load(), 75) << "call " << i << ": > 1.5 s of speech out";

  loop.run_sync([&] {
    for (auto& call : calls) {
      gst_element_set_state(call->pipeline, GST_STATE_NULL);
      gst_pad_set_active(call->src, FALSE);
      gst_pad_set_active(call->transcript, FALSE);
      gst_object_unref(call->src);
      gst_object_unref(call->transcript);
      gst_object_unref(call->bus);
      gst_object_unref(call->pipeline);
    }
  });
}

// The answer ("You said yes.") is in the speech cache, the greeting still being synthesised:
// the answer waits for the greeting, it does not jump ahead of it.
TEST_F(EspeakSynthesisPool, ACachedAnswerWaitsForTheGreetingBeingSynthesised) {
  {
    auto warm = agent_call("greeting=\"\"");
    warm->start();
    say_final(*warm, "yes");
    ASSERT_TRUE(warm->wait([&] { return texts(*warm, "agent_response").size() == 1; }));
  }
  const std::string greeting = long_sentence("the ordering test");
  auto call = agent_call("greeting=\"" + greeting + "\"");
  call->start();
  say_final(*call, "yes");
  ASSERT_TRUE(call->wait([&] { return texts(*call, "agent_response").size() == 2; }, 20000));
  EXPECT_EQ(texts(*call, "agent_response"), (std::vector<std::string>{greeting, "You said yes."}));
  EXPECT_EQ(texts(*call, "user_transcript"), (std::vector<std::string>{"yes"}));
  EXPECT_TRUE(call->warnings().empty());
}

// A sentence in the cache is queued for playing by the thread asking for it: even with the pool
// busy with another call's long synthesis, a cached greeting is there as soon as the call started.
TEST_F(EspeakSynthesisPool, ACachedSentenceIsSaidWithoutWaitingForThePool) {
  const std::string greeting = "A greeting said from the cache.";
  {
    auto warm = agent_call("greeting=\"" + greeting + "\"");
    warm->start();
    ASSERT_TRUE(warm->wait([&] { return !texts(*warm, "agent_response").empty(); }));
  }
  auto busy = agent_call("greeting=\"" + long_sentence("the busy call") + "\"");
  busy->start();
  auto call = agent_call("greeting=\"" + greeting + "\"");
  call->start();  // returns once the element is PLAYING
  EXPECT_EQ(texts(*call, "agent_response"), (std::vector<std::string>{greeting}))
      << "posted while starting, not after the busy call's synthesis";
  EXPECT_TRUE(texts(*busy, "agent_response").empty()) << "the pool really was busy";
  call->push_chunks(std::vector<std::uint8_t>(16000 * 2, 0), kFrame8k);
  auto out = call->outbound();
  EXPECT_GT(std::count_if(out.begin(), out.end(), [](const auto& m) { return m.event == "media"; }), 50);
}

// Elements finalised while their sentence waits in the pool's queue, or while it is being
// synthesised: the pool drops it and touches neither element (ASan), and keeps working.
TEST_F(EspeakSynthesisPool, ElementsTornDownWhileTheirSynthesisIsQueuedOrRunning) {
  auto busy = agent_call("greeting=\"" + long_sentence("the first call") + "\"");
  busy->start();
  GWeakRef queued_agent;
  {
    auto queued = agent_call("greeting=\"" + long_sentence("the queued call") + "\"");
    queued->start();
    GstElement* agent = gst_bin_get_by_name(GST_BIN(queued->pipeline()), "agent");
    g_weak_ref_init(&queued_agent, agent);
    gst_object_unref(agent);
  }  // NULL, unref: the element is gone while its greeting is still queued behind the busy call
  auto* still_there = static_cast<GObject*>(g_weak_ref_get(&queued_agent));
  EXPECT_EQ(still_there, nullptr) << "the element was finalised";
  if (still_there) g_object_unref(still_there);
  g_weak_ref_clear(&queued_agent);
  EXPECT_TRUE(texts(*busy, "agent_response").empty()) << "the pool was still on the first call's greeting";

  // Torn down while its own greeting is being synthesised (the queued call's was dropped).
  busy.reset();

  // The pool goes on with the next call's sentences.
  auto next = agent_call("greeting=\"After the teardown.\"");
  next->start();
  ASSERT_TRUE(next->wait([&] { return !texts(*next, "agent_response").empty(); }, 20000));
  EXPECT_EQ(texts(*next, "agent_response"), (std::vector<std::string>{"After the teardown."}));
  EXPECT_TRUE(next->warnings().empty());
}

}  // namespace
}  // namespace mediaflow::test
