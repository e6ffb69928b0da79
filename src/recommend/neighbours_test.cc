#include "ensemble/recommend/neighbours.h"

#include "recommend/test_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace ensemble::recommend {
namespace {

// Random unit vectors for a catalog of three slots, one of them larger than a query block, and a
// random third of the products as anchors.
struct Fixture {
  Catalog catalog;
  ProductVectors vectors;
  std::vector<char> anchors;

  explicit Fixture(int n, int dim = 16) {
    std::mt19937 rng(7);
    std::normal_distribution<float> normal;
    const char* slots[] = {"top", "top", "top", "top", "bottom", "shoes"};
    auto rows = std::make_shared<store::ProductVectorRows>();
    rows->model = "m";
    rows->dim = dim;
    for (int i = 0; i < n; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "p%05d", i);
      Product p;
      p.id = id;
      p.category = slots[i % 6];
      p.slot = slots[i % 6];
      catalog.add(p);
      anchors.push_back(rng() % 3 == 0);
      std::vector<float> v(static_cast<size_t>(dim));
      float norm = 0;
      for (auto& x : v) {
        x = normal(rng);
        norm += x * x;
      }
      for (auto& x : v) x /= std::sqrt(norm);
      if (i == 5) continue;  // a product without a vector has no neighbours and is nobody's
      rows->ids.push_back(id);
      rows->values.insert(rows->values.end(), v.begin(), v.end());
    }
    rows->ids.push_back("not-in-the-catalog");
    rows->values.insert(rows->values.end(), static_cast<size_t>(dim), 0.5f);
    anchors[5] = 1;
    vectors = ProductVectors::from_rows(rows, catalog);
  }

  double cosine(int a, int b) const {
    double s = 0;
    for (int d = 0; d < vectors.dim; ++d) s += static_cast<double>(vectors.row(a)[d]) * vectors.row(b)[d];
    return s;
  }
};

TEST(NeighbourGraph, EveryProductGetsItsNearestAnchorsOfTheSameSlot) {
  const Fixture f(3000);  // "top": 2,000 queries, two blocks
  const int k = 5;
  for (const int threads : {1, 2}) {
    const NeighbourGraph g = NeighbourGraph::build(f.catalog, f.vectors, f.anchors, k, 0.05, threads);
    std::int64_t with = 0;
    for (std::int32_t p = 0; p < f.catalog.size(); ++p) {
      const auto& got = g.of(p);
      if (!f.vectors.has(p)) {
        EXPECT_TRUE(got.empty());
        continue;
      }
      // Brute force: same slot, an anchor with a vector, not itself; best cosine first.
      std::vector<std::pair<double, std::int32_t>> all;
      for (std::int32_t q = 0; q < f.catalog.size(); ++q) {
        if (q == p || !f.anchors[static_cast<size_t>(q)] || !f.vectors.has(q) ||
            f.catalog[q].slot != f.catalog[p].slot) {
          continue;
        }
        all.emplace_back(f.cosine(p, q), q);
      }
      std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
      ASSERT_EQ(got.size(), std::min<size_t>(k, all.size())) << p;
      with += !got.empty();
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].product, all[i].second) << "product " << p << " rank " << i;
        EXPECT_NEAR(got[i].cosine, all[i].first, 1e-5);
        EXPECT_NEAR(got[i].weight, std::exp((got[i].cosine - got[0].cosine) / 0.05), 1e-5);
      }
      EXPECT_FLOAT_EQ(got[0].weight, 1.0f);
    }
    EXPECT_EQ(with, g.products_with_neighbours());
    EXPECT_EQ(with, f.catalog.size() - 1);
  }
}

TEST(ProductVectors, RowsAreAlignedWithTheCatalogWhateverTheirOrder) {
  const Fixture f(40);
  EXPECT_EQ(f.vectors.count(), 39);  // p00005 has none; the id outside the catalog is ignored
  EXPECT_FALSE(f.vectors.has(5));
  EXPECT_FALSE(f.vectors.has(40));
  // The same rows in reverse order give every product the same vector.
  auto reversed = std::make_shared<store::ProductVectorRows>(*f.vectors.rows);
  const auto dim = static_cast<size_t>(reversed->dim);
  std::reverse(reversed->ids.begin(), reversed->ids.end());
  for (size_t i = 0; i < reversed->ids.size(); ++i) {
    const auto j = reversed->ids.size() - 1 - i;
    std::copy_n(f.vectors.rows->values.begin() + static_cast<std::ptrdiff_t>(j * dim), dim,
                reversed->values.begin() + static_cast<std::ptrdiff_t>(i * dim));
  }
  const ProductVectors r = ProductVectors::from_rows(reversed, f.catalog);
  ASSERT_EQ(r.count(), 39);
  for (std::int32_t p = 0; p < f.catalog.size(); ++p) {
    ASSERT_EQ(r.has(p), f.vectors.has(p)) << p;
    if (r.has(p)) {
      EXPECT_TRUE(std::equal(r.row(p), r.row(p) + dim, f.vectors.row(p))) << p;
    }
  }
}

// load() takes the rows the match stage left in the connection's cache only under the key of the
// vectors as they are now; any change to the product vectors makes it read them again.
TEST(ProductVectors, LoadTakesCachedRowsOnlyWhileTheVectorsAreUnchanged) {
  testing::TestStore ts;
  for (const char* id : {"a", "b", "c"}) ts.product(id, "top");
  ts.vector("a", {1, 0});
  ts.vector("c", {0, 1});
  const Catalog catalog = Catalog::load(ts.db(), SlotTable());
  const ProductVectors read = ProductVectors::load(ts.db(), catalog);
  ASSERT_EQ(read.model_id, "test#v1");
  ASSERT_EQ(read.count(), 2);
  EXPECT_FALSE(read.has(1));
  EXPECT_EQ(read.row(2)[1], 1.0f);

  // Rows put under the current key are used as they are (different values prove where they came from).
  auto cached = std::make_shared<store::ProductVectorRows>();
  cached->model = "test#v1";
  cached->dim = 2;
  cached->ids = {"a", "c"};
  cached->values = {0.6f, 0.8f, 0.8f, 0.6f};
  ts.db().read_cache().put<store::ProductVectorRows>(store::kProductVectorsEntry,
                                                     store::product_vectors_key(ts.db(), "test#v1"), cached);
  const ProductVectors hit = ProductVectors::load(ts.db(), catalog);
  EXPECT_EQ(hit.rows, cached);
  EXPECT_EQ(hit.row(0)[0], 0.6f);

  // A vector added: another key, read from the store.
  ts.vector("b", {0.5f, 0.5f});
  const ProductVectors after = ProductVectors::load(ts.db(), catalog);
  EXPECT_NE(after.rows, cached);
  EXPECT_EQ(after.count(), 3);
  EXPECT_EQ(after.row(0)[0], 1.0f);

  // A vector rewritten in place by the embed stage, which replaces its token: read again too.
  ts.db().read_cache().put<store::ProductVectorRows>(store::kProductVectorsEntry,
                                                     store::product_vectors_key(ts.db(), "test#v1"), cached);
  ASSERT_EQ(ProductVectors::load(ts.db(), catalog).rows, cached);
  ts.db().prepare("INSERT INTO stage_items (stage, item_id, fingerprint, status, run_id)"
                  " VALUES ('embed', 'product-vectors', 'token-2', 'ok', ?)").bind(1, ts.run()).run();
  EXPECT_NE(ProductVectors::load(ts.db(), catalog).rows, cached);
}

TEST(NeighbourGraph, NoAnchorsOrNoVectorsGiveNoNeighbours) {
  const Fixture f(60);
  const std::vector<char> none(static_cast<size_t>(f.catalog.size()), 0);
  EXPECT_EQ(NeighbourGraph::build(f.catalog, f.vectors, none, 5, 0.05, 2).products_with_neighbours(), 0);
  EXPECT_EQ(NeighbourGraph::build(f.catalog, ProductVectors{}, f.anchors, 5, 0.05, 2).products_with_neighbours(), 0);
  EXPECT_EQ(NeighbourGraph::build(f.catalog, f.vectors, f.anchors, 0, 0.05, 2).products_with_neighbours(), 0);
}

}  // namespace
}  // namespace ensemble::recommend
