#include "server/fifo_slots.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace ensemble::server {
namespace {

using namespace std::chrono_literals;

TEST(FifoSlots, NeverAdmitsMoreThanItsSlots) {
  FifoSlots slots(2);
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        SlotLease lease(slots);
        const int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --inside;
      }
    });
  }
  for (auto& th : threads) th.join();
  // Whether two threads ever overlap depends on the scheduler (on a loaded machine they may not):
  // the bound is what is checked here; that two slots admit two at once, below.
  EXPECT_LE(most.load(), 2);
  EXPECT_GE(most.load(), 1);
  EXPECT_EQ(inside.load(), 0);
}

TEST(FifoSlots, TwoSlotsAdmitTwoAtOnceAndQueueTheThird) {
  FifoSlots slots(2);
  std::optional<SlotLease> first(std::in_place, slots), second(std::in_place, slots);  // no wait
  std::atomic<bool> third_in{false};
  std::thread third([&] {
    SlotLease lease(slots);
    third_in = true;
  });
  while (slots.waiting() < 1 && !third_in) std::this_thread::sleep_for(1ms);
  EXPECT_FALSE(third_in.load()) << "both slots are held: the third must wait";
  first.reset();
  third.join();
  EXPECT_TRUE(third_in.load());
  EXPECT_EQ(slots.waiting(), 0u);
}

// With the one slot held, waiters queue; each waiter is started only once the previous one is
// blocked in acquire() (waiting() counts it), so their arrival order is known. They must be
// admitted in that order.
TEST(FifoSlots, AdmitsWaitersInArrivalOrder) {
  FifoSlots slots(1);
  slots.acquire();
  std::mutex m;
  std::vector<int> order;
  std::vector<std::thread> waiters;
  for (int w = 0; w < 6; ++w) {
    waiters.emplace_back([&, w] {
      SlotLease lease(slots);
      std::lock_guard lock(m);
      order.push_back(w);
    });
    while (slots.waiting() < static_cast<std::size_t>(w + 1)) std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(slots.waiting(), 6u);
  slots.release();
  for (auto& th : waiters) th.join();
  EXPECT_EQ(slots.waiting(), 0u);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

TEST(FifoSlots, ASlotCountBelowOneMeansOne) { EXPECT_EQ(FifoSlots(0).slots(), 1); }

}  // namespace
}  // namespace ensemble::server
