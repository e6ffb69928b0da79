#include "ensemble/recommend/neighbours.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
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
    vectors.model_id = "m";
    vectors.dim = dim;
    vectors.values.resize(static_cast<size_t>(n) * dim);
    vectors.present.assign(static_cast<size_t>(n), 1);
    for (int i = 0; i < n; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "p%05d", i);
      Product p;
      p.id = id;
      p.category = slots[i % 6];
      p.slot = slots[i % 6];
      catalog.add(p);
      float norm = 0;
      for (int d = 0; d < dim; ++d) {
        const float v = normal(rng);
        vectors.values[static_cast<size_t>(i) * dim + d] = v;
        norm += v * v;
      }
      for (int d = 0; d < dim; ++d) vectors.values[static_cast<size_t>(i) * dim + d] /= std::sqrt(norm);
      anchors.push_back(rng() % 3 == 0);
    }
    vectors.present[5] = 0;  // a product without a vector has no neighbours and is nobody's
    anchors[5] = 1;
  }

  double cosine(int a, int b) const {
    double s = 0;
    for (int d = 0; d < vectors.dim; ++d) {
      s += static_cast<double>(vectors.values[static_cast<size_t>(a) * vectors.dim + d]) *
           vectors.values[static_cast<size_t>(b) * vectors.dim + d];
    }
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
      if (!f.vectors.present[static_cast<size_t>(p)]) {
        EXPECT_TRUE(got.empty());
        continue;
      }
      // Brute force: same slot, an anchor with a vector, not itself; best cosine first.
      std::vector<std::pair<double, std::int32_t>> all;
      for (std::int32_t q = 0; q < f.catalog.size(); ++q) {
        if (q == p || !f.anchors[static_cast<size_t>(q)] || !f.vectors.present[static_cast<size_t>(q)] ||
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

TEST(NeighbourGraph, NoAnchorsOrNoVectorsGiveNoNeighbours) {
  const Fixture f(60);
  const std::vector<char> none(static_cast<size_t>(f.catalog.size()), 0);
  EXPECT_EQ(NeighbourGraph::build(f.catalog, f.vectors, none, 5, 0.05, 2).products_with_neighbours(), 0);
  EXPECT_EQ(NeighbourGraph::build(f.catalog, ProductVectors{}, f.anchors, 5, 0.05, 2).products_with_neighbours(), 0);
  EXPECT_EQ(NeighbourGraph::build(f.catalog, f.vectors, f.anchors, 0, 0.05, 2).products_with_neighbours(), 0);
}

}  // namespace
}  // namespace ensemble::recommend
