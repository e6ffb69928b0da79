#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <numeric>
#include <unordered_set>

#include "ensemble/index/vector_index.h"
#include "ensemble/util/error.h"
#include "index/test_vectors.h"

namespace ensemble::index {
namespace {

using testing::clustered_unit;

double recall_at(const SearchResults& got, const SearchResults& truth) {
  long hit = 0, total = 0;
  for (std::int64_t q = 0; q < truth.n; ++q) {
    std::unordered_set<Id> want;
    for (int j = 0; j < truth.k; ++j)
      if (truth.id(q, j) != -1) want.insert(truth.id(q, j));
    for (int j = 0; j < got.k; ++j) hit += want.count(got.id(q, j));
    total += static_cast<long>(want.size());
  }
  return total ? double(hit) / total : 1.0;
}

std::vector<Id> ids_from(std::int64_t n, Id first = 0) {
  std::vector<Id> ids(n);
  std::iota(ids.begin(), ids.end(), first);
  return ids;
}

TEST(HnswSpec, CanonicalFormsRoundTrip) {
  EXPECT_EQ(canonical_index_spec("hnsw"), "hnsw:M=32,efC=200,ef=64");
  EXPECT_EQ(canonical_index_spec("hnsw:ef=100,M=16"), "hnsw:M=16,efC=200,ef=100");
  EXPECT_EQ(canonical_index_spec("exact"), "exact");
  auto index = make_index("hnsw:M=12,efC=80,ef=40", 8);
  EXPECT_EQ(index->spec(), "hnsw:M=12,efC=80,ef=40");
  EXPECT_EQ(make_index(index->spec(), 8)->spec(), index->spec());
  for (const char* bad : {"hnsw:M=0", "hnsw:M=1000", "hnsw:foo=3", "hnsw:M", "hnsw:M=x", "hnsw:efC=4,M=16", "hnswx", "ivf"}) {
    try {
      canonical_index_spec(bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << bad;
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(HnswIndex, RecallAtLeast95PercentVsExactOnClusteredData) {
  const int dim = 64;
  const std::int64_t n = 6000, nq = 300;
  auto base = clustered_unit(n, dim, 60, 0.6f, 11);
  auto queries = clustered_unit(nq, dim, 60, 0.6f, 11 + 1000);
  auto ids = ids_from(n, 5);
  auto exact = make_index("exact", dim);
  exact->add(ids, base);
  auto hnsw = make_index("hnsw", dim);  // the shipped default parameters
  hnsw->add(ids, base);
  EXPECT_EQ(hnsw->size(), n);
  auto truth = exact->search(queries, 10);
  auto got = hnsw->search(queries, 10);
  double r = recall_at(got, truth);
  EXPECT_GE(r, 0.95) << "recall@10 " << r;
  // Scores are inner products, best first.
  for (int j = 1; j < 10; ++j) EXPECT_GE(got.score(0, j - 1), got.score(0, j));
  EXPECT_NEAR(got.score(0, 0), truth.score(0, 0), 1e-4);
}

TEST(HnswIndex, IncrementalAddUpsertAndRemove) {
  const int dim = 32;
  const std::int64_t n = 3000;
  auto base = clustered_unit(n, dim, 30, 0.6f, 21);
  auto ids = ids_from(n);
  auto hnsw = make_index("hnsw:M=16,efC=100,ef=64", dim);
  hnsw->set_threads(2);
  // In three steps, growing past the initial capacity, as products arrive.
  hnsw->add(std::span(ids).first(500), std::span(base).first(500 * dim));
  hnsw->add(std::span(ids).subspan(500, 1500), std::span(base).subspan(500 * dim, 1500 * dim));
  hnsw->add(std::span(ids).subspan(2000), std::span(base).subspan(2000 * dim));
  EXPECT_EQ(hnsw->size(), n);
  auto exact = make_index("exact", dim);
  exact->add(ids, base);
  auto queries = clustered_unit(100, dim, 30, 0.6f, 22);
  EXPECT_GE(recall_at(hnsw->search(queries, 10), exact->search(queries, 10)), 0.95);

  // Upsert: id 17 moves to a new place.
  std::vector<float> fresh(dim, 0.0f);
  fresh[3] = 1.0f;
  std::vector<Id> one = {17};
  hnsw->add(one, fresh);
  EXPECT_EQ(hnsw->size(), n);
  auto r = hnsw->search(fresh, 1);
  EXPECT_EQ(r.id(0, 0), 17);
  EXPECT_NEAR(r.score(0, 0), 1.0f, 1e-5);

  // Remove: never returned again; unknown ids ignored; re-adding brings it back.
  std::vector<Id> gone = {17, 99999};
  EXPECT_EQ(hnsw->remove(gone), 1);
  EXPECT_EQ(hnsw->size(), n - 1);
  EXPECT_FALSE(hnsw->contains(17));
  r = hnsw->search(fresh, 10);
  for (Id id : r.ids) EXPECT_NE(id, 17);
  hnsw->add(one, fresh);
  EXPECT_TRUE(hnsw->contains(17));
  EXPECT_EQ(hnsw->search(fresh, 1).id(0, 0), 17);
  EXPECT_EQ(hnsw->ids().size(), static_cast<std::size_t>(n));
}

TEST(HnswIndex, FilterReturnsOnlyAllowedIdsEvenWhenVerySelective) {
  const int dim = 32;
  const std::int64_t n = 4000;
  auto base = clustered_unit(n, dim, 40, 0.6f, 31);
  auto ids = ids_from(n);
  auto hnsw = make_index("hnsw:M=16,efC=100,ef=64", dim);
  hnsw->add(ids, base);
  auto exact = make_index("exact", dim);
  exact->add(ids, base);
  auto queries = clustered_unit(50, dim, 40, 0.6f, 32);
  for (int modulus : {3, 500}) {  // a mild filter, and one that keeps 8 vectors
    IdFilter keep = [modulus](Id id) { return id % modulus == 0; };
    auto got = hnsw->search(queries, 5, &keep);
    for (Id id : got.ids) EXPECT_TRUE(id == -1 || id % modulus == 0);
    EXPECT_GE(recall_at(got, exact->search(queries, 5, &keep)), 0.9) << "modulus " << modulus;
    EXPECT_EQ(got.count(0), 5);
  }
}

TEST(HnswIndex, EmptyIndexAndBadArguments) {
  auto hnsw = make_index("hnsw", 8);
  std::vector<float> q(8, 0.0f);
  q[0] = 1;
  EXPECT_EQ(hnsw->search(q, 4).count(0), 0);
  EXPECT_THROW(hnsw->search(q, 0), Error);
  std::vector<Id> ids = {1};
  std::vector<float> wrong(7, 0.1f);
  EXPECT_THROW(hnsw->add(ids, wrong), Error);
  EXPECT_GT(hnsw->bytes_per_vector(), 8 * sizeof(float));
}

}  // namespace
}  // namespace ensemble::index

namespace ensemble::index {
namespace {

// score_ids, for both kinds: the inner products search() reports, NaN for an id not there.
TEST(VectorIndex, ScoreIdsGivesTheSearchScoresOfTheIdsAsked) {
  const int dim = 16;
  const auto base = testing::clustered_unit(300, dim, 7, 0.6f, 21);
  const auto queries = testing::clustered_unit(3, dim, 7, 0.6f, 22);
  for (const char* spec : {"exact", "hnsw:M=16,efC=100,ef=64"}) {
    auto index = make_index(spec, dim);
    std::vector<Id> ids(300);
    std::iota(ids.begin(), ids.end(), 1000);
    index->add(ids, base);
    index->remove(std::vector<Id>{1005});
    const std::span<const float> q(queries.data(), dim);
    const auto res = index->search(q, 5);
    std::vector<Id> asked = {res.id(0, 3), 999, res.id(0, 0), 1005};
    const auto scores = index->score_ids(q, asked);
    ASSERT_EQ(scores.size(), 4u) << spec;
    EXPECT_NEAR(scores[0], res.score(0, 3), 1e-5) << spec;
    EXPECT_TRUE(std::isnan(scores[1])) << spec << ": never added";
    EXPECT_NEAR(scores[2], res.score(0, 0), 1e-5) << spec;
    EXPECT_TRUE(std::isnan(scores[3])) << spec << ": removed";
    EXPECT_THROW(index->score_ids(std::span<const float>(queries.data(), dim - 1), asked), Error) << spec;
  }
}

}  // namespace
}  // namespace ensemble::index
