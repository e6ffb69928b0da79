#include "sample/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

namespace ensemble::sample {
namespace {

TEST(ParallelForTest, RunsEveryIndexOnceAndReportsProgressFromTheCaller) {
  std::vector<std::atomic<int>> hits(1000);
  int last = 0, calls = 0;
  parallel_for(
      1000, 3, 16, [&](int i) { ++hits[static_cast<std::size_t>(i)]; },
      [&](int done) {
        EXPECT_GE(done, last);
        last = done;
        ++calls;
      });
  for (const auto& h : hits) EXPECT_EQ(h.load(), 1);
  EXPECT_EQ(last, 1000);
  EXPECT_GE(calls, 1);  // how often depends on scheduling; the final report always comes
}

TEST(ParallelForTest, RethrowsTheWorkersException) {
  std::atomic<int> ran{0};
  EXPECT_THROW(parallel_for(10000, 2, 8,
                            [&](int i) {
                              ++ran;
                              if (i == 37) throw std::runtime_error("boom");
                            }),
               std::runtime_error);
  EXPECT_LT(ran.load(), 10000);  // the rest was skipped
  EXPECT_THROW(parallel_for(100, 2, 4, [](int) {}, [](int) { throw std::logic_error("progress"); }),
               std::logic_error);
}

}  // namespace
}  // namespace ensemble::sample
