#include <gtest/gtest.h>

#include <numeric>

#include "ensemble/index/cross_search.h"
#include "ensemble/index/vector_index.h"
#include "ensemble/util/error.h"
#include "index/test_vectors.h"

namespace ensemble::index {
namespace {

using testing::clustered_unit;

TEST(CrossSearch, EqualsTwoExactSearchesAcrossBlocks) {
  const int dim = 24;
  const std::int64_t na = 700, nb = 9000;  // several A and B blocks
  auto a = clustered_unit(na, dim, 30, 0.7f, 1), b = clustered_unit(nb, dim, 30, 0.7f, 2);
  std::vector<Id> a_ids(na), b_ids(nb);
  std::iota(a_ids.begin(), a_ids.end(), 1'000'000);
  std::iota(b_ids.begin(), b_ids.end(), 0);
  auto ia = make_index("exact", dim), ib = make_index("exact", dim);
  ia->add(a_ids, a);
  ib->add(b_ids, b);
  CrossOptions o;
  o.k_ab = 10;
  o.k_ba = 5;
  o.threads = 2;
  auto r = cross_search(a_ids, a, b_ids, b, dim, o);
  auto want_ab = ib->search(a, 10), want_ba = ia->search(b, 5);
  EXPECT_EQ(r.a_to_b.ids, want_ab.ids);
  EXPECT_EQ(r.b_to_a.ids, want_ba.ids);
  for (std::size_t i = 0; i < want_ab.scores.size(); ++i) EXPECT_NEAR(r.a_to_b.scores[i], want_ab.scores[i], 1e-5);
}

TEST(CrossSearch, MinScoreAndPairFilterApplyInBothDirections) {
  const int dim = 16;
  auto a = clustered_unit(50, dim, 5, 0.8f, 3), b = clustered_unit(400, dim, 5, 0.8f, 4);
  std::vector<Id> a_ids(50), b_ids(400);
  std::iota(a_ids.begin(), a_ids.end(), 0);
  std::iota(b_ids.begin(), b_ids.end(), 0);
  PairFilter same_parity = [](Id x, Id y) { return (x + y) % 2 == 0; };
  CrossOptions o;
  o.k_ab = 8;
  o.k_ba = 3;
  o.min_score = 0.5f;
  o.filter = &same_parity;
  auto r = cross_search(a_ids, a, b_ids, b, dim, o);
  for (std::int64_t i = 0; i < r.a_to_b.n; ++i)
    for (int j = 0; j < r.a_to_b.count(i); ++j) {
      EXPECT_GE(r.a_to_b.score(i, j), 0.5f);
      EXPECT_EQ((a_ids[i] + r.a_to_b.id(i, j)) % 2, 0);
    }
  for (std::int64_t i = 0; i < r.b_to_a.n; ++i)
    for (int j = 0; j < r.b_to_a.count(i); ++j) {
      EXPECT_GE(r.b_to_a.score(i, j), 0.5f);
      EXPECT_EQ((b_ids[i] + r.b_to_a.id(i, j)) % 2, 0);
    }
  // With the backward direction off it is a plain batched search.
  o.k_ba = 0;
  EXPECT_EQ(cross_search(a_ids, a, b_ids, b, dim, o).b_to_a.n, 0);
  std::vector<Id> short_ids(3);
  EXPECT_THROW(cross_search(short_ids, a, b_ids, b, dim, o), Error);
}

}  // namespace
}  // namespace ensemble::index
