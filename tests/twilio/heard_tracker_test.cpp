// Mark echoes → how much of each agent response the caller heard (shared by every agent).
#include <mediaflow/protocol/heard_tracker.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using mediaflow::protocol::HeardTracker;

TEST(HeardTracker, EchoesReportHeardAudioPerResponse) {
  HeardTracker t("el-agent-");
  const auto m1 = t.next_mark(1, 200'000'000);
  const auto m2 = t.next_mark(1, 300'000'000);
  EXPECT_TRUE(t.owns(m1));
  EXPECT_FALSE(t.owns("utt-7"));
  auto h = t.on_echo(m1);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->event_id, 1u);
  EXPECT_EQ(h->heard_ms, 200u);
  EXPECT_EQ(h->sent_ms, 500u);
  h = t.on_echo(m2);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->heard_ms, 500u);
  EXPECT_FALSE(h->interrupted);
  EXPECT_FALSE(t.on_echo(m2));        // a repeat proves nothing new
  EXPECT_FALSE(t.on_echo("utt-7"));   // not ours
}

TEST(HeardTracker, MarksPendingAtAnInterruptionProveNothing) {
  HeardTracker t("p-");
  const auto a = t.next_mark(4, 100'000'000);
  const auto b = t.next_mark(4, 100'000'000);
  const auto c = t.next_mark(5, 100'000'000);
  ASSERT_TRUE(t.on_echo(a));
  auto cut = t.on_interruption();
  ASSERT_EQ(cut.size(), 2u);
  EXPECT_EQ(cut[0].event_id, 4u);
  EXPECT_EQ(cut[0].heard_ms, 100u);
  EXPECT_EQ(cut[0].sent_ms, 200u);
  EXPECT_TRUE(cut[0].interrupted);
  EXPECT_EQ(cut[1].event_id, 5u);
  EXPECT_EQ(cut[1].heard_ms, 0u);
  // Twilio's clear echoes every pending mark: none of them counts as heard.
  EXPECT_FALSE(t.on_echo(b));
  EXPECT_FALSE(t.on_echo(c));
  EXPECT_EQ(t.pending(), 0u);
}

// Mark names are compared by their sequence number now: a name with our prefix in any other form
// matches no mark, as the string comparison did (and, as before, drops the marks it passed).
TEST(HeardTracker, OnlyTheExactNameOfAMarkMatchesIt) {
  for (const char* other : {"el-agent-01", "el-agent-+1", "el-agent-1x", "el-agent-", "el-agent-18446744073709551617"}) {
    HeardTracker t("el-agent-");
    const auto m1 = t.next_mark(1, 20'000'000);
    EXPECT_EQ(m1, "el-agent-1");
    EXPECT_FALSE(t.on_echo(other)) << other;
    EXPECT_EQ(t.pending(), 0u) << other;
    EXPECT_FALSE(t.on_echo(m1)) << other;  // already dropped
  }
}

// Responses are kept by id, the 256 highest; ids need not arrive in order.
TEST(HeardTracker, ResponsesAreKeptByIdInAnyOrderAndTheLowestAreForgotten) {
  HeardTracker t("p-");
  const auto late = t.next_mark(10, 20'000'000);
  const auto early = t.next_mark(3, 40'000'000);
  const auto again = t.next_mark(10, 20'000'000);
  auto h = t.on_echo(late);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->sent_ms, 40u);
  h = t.on_echo(early);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->event_id, 3u);
  EXPECT_EQ(h->heard_ms, 40u);
  h = t.on_echo(again);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->heard_ms, 40u);
  std::string first;
  for (std::uint64_t id = 100; id < 100 + 300; ++id) {  // one response per 20 ms chunk
    const auto m = t.next_mark(id, 20'000'000);
    if (id == 100) first = m;
  }
  EXPECT_FALSE(t.on_echo(first));  // response 100 was forgotten: its echo reports nothing
  EXPECT_EQ(t.pending(), 299u);
  h = t.on_echo("p-" + std::to_string(3 + 300));  // the last mark: response 399, still kept
  ASSERT_TRUE(h);
  EXPECT_EQ(h->event_id, 399u);
  EXPECT_EQ(h->heard_ms, 20u);
}

}  // namespace
