// Mark echoes → how much of each agent response the caller heard (shared by every agent).
#include <mediaflow/protocol/heard_tracker.hpp>

#include <gtest/gtest.h>

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

}  // namespace
