// The per-track bound on audio arriving faster than real time (server/realtime_budget.hpp).
#include <mediaflow/server/realtime_budget.hpp>

#include <gtest/gtest.h>

namespace mediaflow::server {
namespace {

constexpr std::int64_t kFrameUs = 20'000;

TEST(RealtimeBudget, AFlatOutBurstGetsOnlyTheAllowance) {
  RealtimeBudget budget(1'000'000);  // 1 s ahead of real time
  int taken = 0;
  for (int i = 0; i < 500; ++i) taken += budget.admit(kFrameUs, 0);  // 10 s of audio at one instant
  EXPECT_EQ(taken, 50);
}

TEST(RealtimeBudget, RealTimeAudioIsNeverDropped) {
  RealtimeBudget budget(100'000);
  for (int i = 0; i < 100'000; ++i) ASSERT_TRUE(budget.admit(kFrameUs, std::int64_t(i) * kFrameUs)) << i;
}

TEST(RealtimeBudget, TheBurstAfterANetworkStallIsTakenBecauseItsTimeWasEarned) {
  RealtimeBudget budget(100'000);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(budget.admit(kFrameUs, std::int64_t(i) * kFrameUs));
  // 3 s of silence on the wire, then the 3 s that were held up arrive at once.
  const std::int64_t after_stall = 50 * kFrameUs + 3'000'000;
  for (int i = 0; i < 150; ++i) EXPECT_TRUE(budget.admit(kFrameUs, after_stall)) << i;
}

TEST(RealtimeBudget, ACallerThatSlowsDownIsServedAgainAndDroppedFramesAreNotCounted) {
  RealtimeBudget budget(40'000);
  EXPECT_TRUE(budget.admit(kFrameUs, 0));
  EXPECT_TRUE(budget.admit(kFrameUs, 0));
  EXPECT_FALSE(budget.admit(kFrameUs, 0));
  EXPECT_FALSE(budget.admit(kFrameUs, 0));
  EXPECT_TRUE(budget.admit(kFrameUs, kFrameUs));  // 20 ms later: one more frame's worth
  EXPECT_FALSE(budget.admit(kFrameUs, kFrameUs));
}

TEST(RealtimeBudget, ZeroMeansNoBound) {
  RealtimeBudget budget(0);
  for (int i = 0; i < 10'000; ++i) ASSERT_TRUE(budget.admit(kFrameUs, 0));
}

}  // namespace
}  // namespace mediaflow::server
