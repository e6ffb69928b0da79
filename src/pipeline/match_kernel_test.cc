#include "pipeline/match_kernel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace ensemble::pipeline {
namespace {

std::vector<float> random_unit(std::int64_t n, int d, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> v(static_cast<size_t>(n * d));
  for (std::int64_t i = 0; i < n; ++i) {
    double norm = 0;
    for (int k = 0; k < d; ++k) norm += std::pow(v[i * d + k] = g(rng), 2);
    for (int k = 0; k < d; ++k) v[i * d + k] /= static_cast<float>(std::sqrt(norm));
  }
  return v;
}

std::vector<Hit> naive(const float* q, const float* base, std::int64_t n, int d, int k, float min) {
  std::vector<Hit> all;
  for (std::int64_t j = 0; j < n; ++j) {
    float s = 0;
    for (int t = 0; t < d; ++t) s += q[t] * base[j * d + t];
    if (s >= min) all.push_back({static_cast<std::int32_t>(j), s});
  }
  std::sort(all.begin(), all.end(), [](const Hit& x, const Hit& y) {
    return x.score > y.score || (x.score == y.score && x.index < y.index);
  });
  if (static_cast<int>(all.size()) > k) all.resize(static_cast<size_t>(k));
  return all;
}

void expect_same(const std::vector<Hit>& got, const std::vector<Hit>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].index, want[i].index) << "rank " << i;
    EXPECT_NEAR(got[i].score, want[i].score, 1e-4);
  }
}

TEST(MatchKernel, EqualsNaiveTopKInBothDirections) {
  const int d = 24;
  const std::int64_t na = 1500, nb = 333;  // several A blocks
  const auto a = random_unit(na, d, 1), b = random_unit(nb, d, 2);
  for (int threads : {1, 3}) {
    const MatchLists m = match_both_ways(a.data(), na, b.data(), nb, d, 7, 4, -2.0f, threads);
    for (std::int64_t i = 0; i < na; i += 97) {
      expect_same(m.a_to_b[static_cast<size_t>(i)], naive(a.data() + i * d, b.data(), nb, d, 7, -2.f));
    }
    for (std::int64_t j = 0; j < nb; j += 31) {
      expect_same(m.b_to_a[static_cast<size_t>(j)], naive(b.data() + j * d, a.data(), na, d, 4, -2.f));
    }
  }
}

TEST(MatchKernel, MinScoreDropsWeakHitsAndEmptyInputsWork) {
  const int d = 8;
  const auto a = random_unit(50, d, 3), b = random_unit(40, d, 4);
  const MatchLists m = match_both_ways(a.data(), 50, b.data(), 40, d, 10, 10, 0.5f, 2);
  for (const auto& list : m.a_to_b) {
    for (const Hit& h : list) EXPECT_GE(h.score, 0.5f);
  }
  expect_same(m.a_to_b[0], naive(a.data(), b.data(), 40, d, 10, 0.5f));
  const MatchLists empty = match_both_ways(a.data(), 50, b.data(), 0, d, 10, 10, 0.f, 2);
  EXPECT_EQ(empty.a_to_b.size(), 50u);
  EXPECT_TRUE(empty.a_to_b[0].empty());
}

}  // namespace
}  // namespace ensemble::pipeline
