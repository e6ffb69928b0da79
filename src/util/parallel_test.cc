#include "ensemble/util/parallel.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace ensemble {
namespace {

TEST(ParallelFor, CallsEveryIndexOnce) {
  std::vector<std::atomic<int>> calls(1000);
  parallel_for(1000, 4, [&](std::int64_t i) { ++calls[static_cast<size_t>(i)]; });
  for (const auto& c : calls) EXPECT_EQ(c.load(), 1);
}

// Results arrive in index order on the caller, whatever order the workers finish in, and never
// more than `window` ahead of the consumer.
TEST(OrderedParallel, ConsumesInOrderOnTheCallerWithinTheWindow) {
  for (const int threads : {1, 2, 4}) {
    const std::int64_t n = 200, window = 3;
    std::atomic<std::int64_t> produced{0};
    std::int64_t consumed = 0, worst_ahead = 0;
    std::vector<std::int64_t> order;
    const auto caller = std::this_thread::get_id();
    bool consumed_on_caller = true;
    ordered_parallel(
        n, threads, window,
        [&](std::int64_t i) {
          if (i % 7 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));  // uneven items
          ++produced;
          return std::to_string(i * i);
        },
        [&](std::int64_t i, std::string&& v) {
          consumed_on_caller = consumed_on_caller && std::this_thread::get_id() == caller;
          worst_ahead = std::max(worst_ahead, produced.load() - consumed);
          EXPECT_EQ(v, std::to_string(i * i));
          order.push_back(i);
          ++consumed;
        });
    ASSERT_EQ(order.size(), static_cast<size_t>(n)) << threads;
    for (std::int64_t i = 0; i < n; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
    EXPECT_TRUE(consumed_on_caller);
    EXPECT_LE(worst_ahead, window) << threads;  // produced but not yet consumed, this one included
    EXPECT_EQ(produced.load(), n);
  }
  int calls = 0;
  ordered_parallel(0, 2, 4, [](std::int64_t) { return 0; }, [&](std::int64_t, int) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(OrderedParallel, AProducerErrorSurfacesAtItsTurnAfterTheEarlierItems) {
  std::vector<std::int64_t> order;
  EXPECT_THROW(ordered_parallel(
                   100, 2, 4,
                   [](std::int64_t i) {
                     if (i == 10) throw std::runtime_error("item 10");
                     return i;
                   },
                   [&](std::int64_t i, std::int64_t) { order.push_back(i); }),
               std::runtime_error);
  ASSERT_EQ(order.size(), 10u);  // 0..9 were consumed, nothing after the failed item
  EXPECT_EQ(order.back(), 9);
}

TEST(OrderedParallel, AConsumerErrorStopsTheWorkers) {
  std::atomic<std::int64_t> produced{0};
  EXPECT_THROW(ordered_parallel(
                   1000, 2, 2, [&](std::int64_t i) { return ++produced, i; },
                   [](std::int64_t i, std::int64_t) {
                     if (i == 5) throw std::runtime_error("write failed");
                   }),
               std::runtime_error);
  EXPECT_LE(produced.load(), 5 + 2 + 1);  // the window bounds what ran ahead of the failure
}

}  // namespace
}  // namespace ensemble
