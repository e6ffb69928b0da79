#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>

#include "ensemble/index/vector_index.h"
#include "ensemble/util/error.h"
#include "index/exact_index.h"
#include "index/test_vectors.h"

namespace ensemble::index {
namespace {

using testing::clustered_unit;
using testing::random_unit;

// The reference: score every row, sort by (score desc, id asc), keep k.
SearchResults naive(const std::vector<Id>& ids, const std::vector<float>& base, const std::vector<float>& queries,
                    int dim, int k, const IdFilter* filter = nullptr) {
  SearchResults r;
  r.n = static_cast<std::int64_t>(queries.size()) / dim;
  r.k = k;
  r.ids.assign(r.n * k, -1);
  r.scores.assign(r.n * k, -INFINITY);
  for (std::int64_t q = 0; q < r.n; ++q) {
    std::vector<std::pair<float, Id>> all;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (filter && !(*filter)(ids[i])) continue;
      float s = 0;
      for (int j = 0; j < dim; ++j) s += queries[q * dim + j] * base[i * dim + j];
      all.push_back({s, ids[i]});
    }
    std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    for (int j = 0; j < k && j < static_cast<int>(all.size()); ++j) {
      r.ids[q * k + j] = all[j].second;
      r.scores[q * k + j] = all[j].first;
    }
  }
  return r;
}

void expect_same(const SearchResults& got, const SearchResults& want) {
  ASSERT_EQ(got.n, want.n);
  ASSERT_EQ(got.k, want.k);
  for (std::int64_t q = 0; q < got.n; ++q)
    for (int j = 0; j < got.k; ++j) {
      EXPECT_EQ(got.id(q, j), want.id(q, j)) << "query " << q << " rank " << j;
      if (want.id(q, j) != -1) {
        EXPECT_NEAR(got.score(q, j), want.score(q, j), 1e-4);
      }
    }
}

std::vector<Id> sequential_ids(std::int64_t n, Id first = 1000) {
  std::vector<Id> ids(n);
  std::iota(ids.begin(), ids.end(), first);
  return ids;
}

TEST(ExactIndex, EqualsNaiveLoopAcrossQueryAndBaseBlocks) {
  // More rows than one base block and more queries than one query block exercise the blocking.
  const int dim = 16;
  const std::int64_t n = detail::ExactIndex::kBaseBlock + 3001;
  const std::int64_t nq = detail::ExactIndex::kQueryBlock + 44;
  auto base = random_unit(n, dim, 1);
  auto queries = random_unit(nq, dim, 2);
  auto ids = sequential_ids(n);
  auto index = make_index("exact", dim);
  index->add(ids, base);
  EXPECT_EQ(index->size(), n);
  expect_same(index->search(queries, 10), naive(ids, base, queries, dim, 10));
}

TEST(ExactIndex, SingleQueryAndThreadCountsAgree) {
  const int dim = 32;
  auto base = clustered_unit(3000, dim, 20, 0.5f, 3);
  auto queries = clustered_unit(40, dim, 20, 0.5f, 4);
  auto ids = sequential_ids(3000);
  auto index = make_index("exact", dim);
  index->add(ids, base);
  auto want = naive(ids, base, queries, dim, 7);
  for (int threads : {1, 2, 3}) {
    index->set_threads(threads);
    expect_same(index->search(queries, 7), want);
  }
  std::vector<float> one(queries.begin(), queries.begin() + dim);
  auto r = index->search(one, 7);
  for (int j = 0; j < 7; ++j) EXPECT_EQ(r.id(0, j), want.id(0, j));
}

TEST(ExactIndex, SmallBatchKernelMatchesNaiveForOddDimensions) {
  // 1..4 queries take the hand-written kernel; 5 take sgemm. Odd dims exercise its tail loop.
  for (int dim : {7, 24, 70}) {
    auto base = random_unit(5000, dim, 40 + dim);
    auto ids = sequential_ids(5000);
    auto index = make_index("exact", dim);
    index->add(ids, base);
    for (int nq : {1, 3, 4, 5}) {
      auto queries = random_unit(nq, dim, 50 + nq);
      expect_same(index->search(queries, 6), naive(ids, base, queries, dim, 6));
    }
  }
}

TEST(ExactIndex, PadsWhenKExceedsSizeAndOnEmptyIndex) {
  auto index = make_index("exact", 4);
  std::vector<float> q = {1, 0, 0, 0};
  auto empty = index->search(q, 3);
  EXPECT_EQ(empty.count(0), 0);
  EXPECT_EQ(empty.id(0, 0), -1);
  EXPECT_TRUE(std::isinf(empty.score(0, 2)) && empty.score(0, 2) < 0);

  std::vector<Id> ids = {7, 8};
  std::vector<float> v = {1, 0, 0, 0, 0, 1, 0, 0};
  index->add(ids, v);
  auto r = index->search(q, 5);
  EXPECT_EQ(r.count(0), 2);
  EXPECT_EQ(r.id(0, 0), 7);
  EXPECT_FLOAT_EQ(r.score(0, 0), 1.0f);
  EXPECT_EQ(r.id(0, 1), 8);
  EXPECT_EQ(r.id(0, 2), -1);
}

TEST(ExactIndex, FilterRestrictsResults) {
  const int dim = 24;
  auto base = random_unit(5000, dim, 5);
  auto queries = random_unit(20, dim, 6);
  auto ids = sequential_ids(5000, 0);
  auto index = make_index("exact", dim);
  index->add(ids, base);
  IdFilter odd = [](Id id) { return id % 2 == 1; };
  auto r = index->search(queries, 10, &odd);
  for (Id id : r.ids) EXPECT_EQ(id % 2, 1);
  expect_same(r, naive(ids, base, queries, dim, 10, &odd));
  IdFilter none = [](Id) { return false; };
  EXPECT_EQ(index->search(queries, 10, &none).count(0), 0);
}

TEST(ExactIndex, AddIsIncrementalAndUpserts) {
  const int dim = 8;
  auto index = make_index("exact", dim);
  auto a = random_unit(100, dim, 7);
  auto ids = sequential_ids(100);
  index->add(std::span(ids).first(60), std::span(a).first(60 * dim));
  index->add(std::span(ids).subspan(60), std::span(a).subspan(60 * dim));
  EXPECT_EQ(index->size(), 100);
  expect_same(index->search(a, 3), naive(ids, a, a, dim, 3));

  // Re-adding id 1005 with a new vector replaces it; the size stays.
  std::vector<float> fresh(dim, 0.0f);
  fresh[0] = 1.0f;
  std::vector<Id> one = {1005};
  index->add(one, fresh);
  EXPECT_EQ(index->size(), 100);
  auto r = index->search(fresh, 1);
  EXPECT_EQ(r.id(0, 0), 1005);
  EXPECT_NEAR(r.score(0, 0), 1.0f, 1e-6);

  // A repeated id within one batch keeps its last vector.
  std::vector<float> twice(2 * dim, 0.0f);
  twice[1] = 1.0f;
  twice[dim + 2] = 1.0f;
  std::vector<Id> same = {77, 77};
  index->add(same, twice);
  std::vector<float> e2(dim, 0.0f);
  e2[2] = 1.0f;
  EXPECT_EQ(index->search(e2, 1).id(0, 0), 77);
  EXPECT_EQ(index->size(), 101);
}

TEST(ExactIndex, RemoveDropsIdsAndIgnoresUnknown) {
  const int dim = 8;
  auto index = make_index("exact", dim);
  auto v = random_unit(50, dim, 8);
  auto ids = sequential_ids(50);
  index->add(ids, v);
  std::vector<Id> gone = {1000, 1049, 1020, 424242};
  EXPECT_EQ(index->remove(gone), 3);
  EXPECT_EQ(index->size(), 47);
  EXPECT_FALSE(index->contains(1000));
  EXPECT_TRUE(index->contains(1001));
  auto r = index->search(v, 47);
  for (Id id : r.ids) {
    EXPECT_NE(id, 1000);
    EXPECT_NE(id, 1049);
    EXPECT_NE(id, 1020);
  }
  // The remaining rows still answer exactly (the hole was filled by the last row).
  std::vector<Id> kept;
  std::vector<float> kept_v;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == 1000 || ids[i] == 1049 || ids[i] == 1020) continue;
    kept.push_back(ids[i]);
    kept_v.insert(kept_v.end(), v.begin() + i * dim, v.begin() + (i + 1) * dim);
  }
  expect_same(index->search(v, 5), naive(kept, kept_v, v, dim, 5));
  auto all = index->ids();
  EXPECT_EQ(std::unordered_set<Id>(all.begin(), all.end()), std::unordered_set<Id>(kept.begin(), kept.end()));
}

TEST(ExactIndex, RejectsBadArguments) {
  auto index = make_index("exact", 4);
  std::vector<Id> ids = {1, 2};
  std::vector<float> three(3 * 4, 0.5f);
  try {
    index->add(ids, three);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  }
  std::vector<float> q(4, 0.5f);
  EXPECT_THROW(index->search(q, 0), Error);
  std::vector<float> ragged(5, 0.5f);
  EXPECT_THROW(index->search(ragged, 1), Error);
  EXPECT_THROW(make_index("exact", 0), Error);
  EXPECT_THROW(make_index("flat", 4), Error);
}

}  // namespace
}  // namespace ensemble::index
