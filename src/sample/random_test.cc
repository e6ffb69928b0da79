#include "sample/random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace ensemble::sample {
namespace {

TEST(RngTest, SameSeedSameSequence) {
  Rng a(123), b(123), c(124);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    EXPECT_EQ(x, b.next());
    differs |= x != c.next();
  }
  EXPECT_TRUE(differs);
}

TEST(RngTest, EngineIsTheStandardMt19937_64) {
  // The standard fixes this value (the 10000th output for the default seed 5489), so catalogs do
  // not change with the standard library.
  Rng r(5489);
  std::uint64_t x = 0;
  for (int i = 0; i < 10000; ++i) x = r.next();
  EXPECT_EQ(x, 9981545732273789042ULL);
}

TEST(RngTest, UniformIntStaysInRangeAndCoversIt) {
  Rng r(7);
  std::map<int, int> counts;
  for (int i = 0; i < 7000; ++i) {
    const int v = r.uniform_int(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
    ++counts[v];
  }
  ASSERT_EQ(counts.size(), 7u);
  for (const auto& [v, n] : counts) EXPECT_NEAR(n, 1000, 150) << v;
}

TEST(RngTest, UniformAndNormalMoments) {
  Rng r(9);
  double sum = 0, sum_n = 0, sum_n2 = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    const double z = r.normal(2.0, 3.0);
    sum_n += z;
    sum_n2 += z * z;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.01);
  const double mean = sum_n / n;
  EXPECT_NEAR(mean, 2.0, 0.1);
  EXPECT_NEAR(std::sqrt(sum_n2 / n - mean * mean), 3.0, 0.1);
}

TEST(RngTest, WeightedAndDiscreteFollowTheWeights) {
  Rng r(11);
  const std::vector<double> w = {1.0, 0.0, 3.0};
  const Discrete d(w);
  int a[3] = {0, 0, 0}, b[3] = {0, 0, 0};
  for (int i = 0; i < 8000; ++i) {
    ++a[r.weighted(w)];
    ++b[d(r)];
  }
  EXPECT_EQ(a[1], 0);
  EXPECT_EQ(b[1], 0);
  EXPECT_NEAR(a[2] / 8000.0, 0.75, 0.03);
  EXPECT_NEAR(b[2] / 8000.0, 0.75, 0.03);
}

TEST(RngTest, ShuffleIsAPermutation) {
  Rng r(13);
  std::vector<int> v(50);
  for (int i = 0; i < 50; ++i) v[static_cast<std::size_t>(i)] = i;
  auto s = v;
  r.shuffle(s);
  EXPECT_NE(s, v);
  std::sort(s.begin(), s.end());
  EXPECT_EQ(s, v);
}

TEST(RngTest, DerivedSeedsAreDistinct) {
  std::set<std::uint64_t> seeds;
  for (std::uint64_t stream = 0; stream < 4; ++stream) {
    for (std::uint64_t i = 0; i < 1000; ++i) seeds.insert(derive_seed(42, stream, i));
  }
  EXPECT_EQ(seeds.size(), 4000u);
  EXPECT_NE(derive_seed(42, 1, 0), derive_seed(43, 1, 0));
}

TEST(RngTest, ZipfWeightsDecrease) {
  const auto w = zipf_weights(5, 1.0);
  ASSERT_EQ(w.size(), 5u);
  EXPECT_DOUBLE_EQ(w[0], 1.0);
  EXPECT_DOUBLE_EQ(w[1], 0.5);
  EXPECT_TRUE(std::is_sorted(w.rbegin(), w.rend()));
}

}  // namespace
}  // namespace ensemble::sample
