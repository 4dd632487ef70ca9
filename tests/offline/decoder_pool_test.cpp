// The decoder pool's queue (plugins/asr_pocketsphinx/decoder_pool.hpp), directly: it is
// bounded by the audio waiting and drops the oldest stretch beyond it, never the newest nor
// an ordering marker; one owner's jobs run one at a time, in order.
#include "decoder_pool.hpp"

#include <gtest/gtest.h>

namespace mediaflow::sphinx {
namespace {

DecodeJob job(std::uint64_t owner, double seconds, int* dropped = nullptr) {
  DecodeJob j;
  j.owner = owner;
  j.audio_seconds = seconds;
  if (dropped) j.dropped = [dropped] { ++*dropped; };
  return j;
}

TEST(SphinxPoolQueue, BeyondTheBoundTheOldestStretchesAreDroppedNotTheNewest) {
  JobQueue q(5.0);
  int dropped_a = 0;
  EXPECT_TRUE(q.push(job(1, 2.0, &dropped_a)).empty());
  EXPECT_TRUE(q.push(job(2, 2.0)).empty());
  EXPECT_DOUBLE_EQ(q.pending_seconds(), 4.0);
  auto dropped = q.push(job(3, 2.0));  // 6 s > 5 s: owner 1's (the oldest) goes
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].owner, 1u);
  dropped[0].dropped();
  EXPECT_EQ(dropped_a, 1);
  EXPECT_DOUBLE_EQ(q.pending_seconds(), 4.0);
  EXPECT_EQ(q.size(), 2u);
  // A single stretch longer than the bound is still queued (the newest is never dropped).
  dropped = q.push(job(4, 9.0));
  EXPECT_EQ(dropped.size(), 2u);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_DOUBLE_EQ(q.pending_seconds(), 9.0);
}

TEST(SphinxPoolQueue, MarkersWithoutAudioAreNeverDropped) {
  JobQueue q(1.0);
  q.push(job(1, 0.0));  // e.g. an EOS marker
  auto dropped = q.push(job(2, 3.0));
  EXPECT_TRUE(dropped.empty());
  dropped = q.push(job(3, 3.0));
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].owner, 2u);
  EXPECT_EQ(q.size(), 2u);
}

TEST(SphinxPoolQueue, OneOwnersJobsRunOneAtATimeInOrder) {
  JobQueue q(60.0);
  q.push(job(1, 1.0));
  q.push(job(1, 0.5));
  q.push(job(2, 1.0));
  auto a = q.take();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->owner, 1u);
  EXPECT_DOUBLE_EQ(a->seconds(), 1.0);
  auto b = q.take();  // owner 1 is busy: owner 2's job, not owner 1's second
  ASSERT_TRUE(b);
  EXPECT_EQ(b->owner, 2u);
  EXPECT_FALSE(q.take());  // both owners busy
  q.finished(1);
  auto c = q.take();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->owner, 1u);
  EXPECT_DOUBLE_EQ(c->seconds(), 0.5);
  EXPECT_DOUBLE_EQ(q.pending_seconds(), 0.0);
}

}  // namespace
}  // namespace mediaflow::sphinx
