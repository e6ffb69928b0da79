// Visual neighbours: for every product, its most similar products *of the same slot* among the
// "anchors" (products with lookbook evidence), by cosine of their stored embeddings. A product
// never seen in a lookbook borrows its neighbours' pairs, weighted by similarity, so coverage is not
// limited to products that appeared in photos.
//
// Weights: w = exp((cos - best_cos) / temperature), best_cos = the product's nearest anchor (its
// own vector excluded), so the nearest neighbour has weight 1 and farther ones fade.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ensemble/recommend/evidence.h"
#include "ensemble/store/database.h"

namespace ensemble::recommend {

// Product vectors of one embedder model, aligned with a Catalog (row i = catalog index i).
struct ProductVectors {
  std::string model_id;
  int dim = 0;
  std::vector<float> values;     // catalog.size() × dim, row-major; zero rows where missing
  std::vector<char> present;     // per product: has a vector

  // The vectors of store::current_product_model (the match stage's model); empty when none.
  static ProductVectors load(store::Database& db, const Catalog& catalog);
  std::int64_t count() const;
};

struct Neighbour {
  std::int32_t product = 0;
  float weight = 0;  // in (0, 1]
  float cosine = 0;
};

class NeighbourGraph {
 public:
  // For every product with a vector: its k nearest anchors of the same slot (itself excluded).
  // anchors: per product, non-zero when it has evidence. threads: 0 = all cores.
  static NeighbourGraph build(const Catalog& catalog, const ProductVectors& vectors,
                              const std::vector<char>& anchors, int k, double temperature,
                              int threads);

  // Sets a product's neighbours by hand (tests). Resizes as needed.
  void set(std::int32_t product, std::vector<Neighbour> neighbours);
  const std::vector<Neighbour>& of(std::int32_t product) const;
  std::int64_t products_with_neighbours() const;

 private:
  std::vector<std::vector<Neighbour>> lists_;
};

}  // namespace ensemble::recommend
