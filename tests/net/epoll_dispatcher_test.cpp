// The per-context dispatcher: one per GMainContext while held, and its timers.
#include <mediaflow/net/epoll_dispatcher.hpp>

#include "support/loop_thread.hpp"
#include "support/wait_until.hpp"

#include <gtest/gtest.h>

#include <sys/epoll.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

using mediaflow::net::EpollDispatcher;
using mediaflow::test::LoopThread;
using mediaflow::test::wait_until;

TEST(EpollDispatcher, OnePerContextWhileHeld) {
  GMainContext* a = g_main_context_new();
  GMainContext* b = g_main_context_new();
  auto da = EpollDispatcher::for_context(a);
  ASSERT_NE(da, nullptr);
  EXPECT_EQ(EpollDispatcher::for_context(a), da);
  auto db = EpollDispatcher::for_context(b);
  EXPECT_NE(db, da);
  EXPECT_EQ(da->context(), a);
  // Released, then asked for again: a new one, still attached to that context.
  da.reset();
  auto again = EpollDispatcher::for_context(a);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->context(), a);
  again.reset();
  db.reset();
  g_main_context_unref(a);
  g_main_context_unref(b);
}

TEST(EpollDispatcher, TimersRunInDeadlineOrderAndCancelledOnesNever) {
  LoopThread loop;
  std::shared_ptr<EpollDispatcher> dispatcher;
  std::mutex m;
  std::vector<std::string> fired;
  auto record = [&](std::string what) {
    std::lock_guard lock(m);
    fired.push_back(std::move(what));
  };
  EpollDispatcher::Timer late, early, cancelled, rearmed, self_rearming;
  int self_rearm_count = 0;
  std::function<void()> again = [&] {
    ++self_rearm_count;
    if (self_rearm_count < 3) self_rearming.arm_in_ms(*dispatcher, 0, again);
    else record("self-rearmed");
  };
  loop.run_sync([&] {
    dispatcher = EpollDispatcher::for_context(loop.context());
    late.arm_in_ms(*dispatcher, 60, [&] { record("late"); });
    early.arm_in_ms(*dispatcher, 10, [&] { record("early"); });
    cancelled.arm_in_ms(*dispatcher, 20, [&] { record("cancelled"); });
    cancelled.cancel();
    rearmed.arm_in_ms(*dispatcher, 5, [&] { record("rearmed-first"); });
    rearmed.arm_in_ms(*dispatcher, 30, [&] { record("rearmed"); });  // replaces the first
    self_rearming.arm_in_ms(*dispatcher, 40, again);
    EXPECT_EQ(dispatcher->armed_timers(), 4u);
  });
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(m);
    return fired.size() >= 4;
  }, 5000));
  g_usleep(50000);  // nothing else may come
  loop.run_sync([&] {
    EXPECT_EQ(fired, (std::vector<std::string>{"early", "rearmed", "self-rearmed", "late"}));
    EXPECT_EQ(self_rearm_count, 3);
    EXPECT_EQ(dispatcher->armed_timers(), 0u);
    dispatcher.reset();
  });
}

TEST(EpollDispatcher, ReadyFdsReachTheirHandlersAndRemovedOnesNever) {
  struct Pipe final : EpollDispatcher::Handler {
    int fds[2] = {-1, -1};
    std::atomic<int> calls{0};
    EpollDispatcher* dispatcher = nullptr;
    Pipe* remove_other = nullptr;
    void on_io(std::uint32_t) override {
      ++calls;
      char c;
      (void)!read(fds[0], &c, 1);
      // Removing another handler whose event is already collected: it must not be called.
      if (remove_other) dispatcher->remove(remove_other->fds[0], remove_other);
    }
  };
  LoopThread loop;
  std::shared_ptr<EpollDispatcher> dispatcher;
  Pipe a, b;
  ASSERT_EQ(pipe(a.fds), 0);
  ASSERT_EQ(pipe(b.fds), 0);
  loop.run_sync([&] {
    dispatcher = EpollDispatcher::for_context(loop.context());
    a.dispatcher = b.dispatcher = dispatcher.get();
    a.remove_other = &b;
    b.remove_other = &a;
    ASSERT_TRUE(dispatcher->add(a.fds[0], EPOLLIN, &a));
    ASSERT_TRUE(dispatcher->add(b.fds[0], EPOLLIN, &b));
    // Both ready before the loop looks: one wake-up collects both events.
    (void)!write(a.fds[1], "x", 1);
    (void)!write(b.fds[1], "x", 1);
  });
  ASSERT_TRUE(wait_until([&] { return a.calls + b.calls >= 1; }, 5000));
  g_usleep(30000);
  EXPECT_EQ(a.calls + b.calls, 1);  // whichever ran first removed the other
  loop.run_sync([&] { dispatcher.reset(); });
  for (int fd : {a.fds[0], a.fds[1], b.fds[0], b.fds[1]}) close(fd);
}
