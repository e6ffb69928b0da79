// Visual neighbours: for every product, its most similar products *of the same slot* among the
// "anchors" (products with lookbook evidence), by cosine of their stored embeddings. A product
// never seen in a lookbook borrows its neighbours' pairs, weighted by similarity, so coverage is not
// limited to products that appeared in photos.
//
// Weights: w = exp((cos - best_cos) / temperature), best_cos = the product's nearest anchor (its
// own vector excluded), so the nearest neighbour has weight 1 and farther ones fade.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ensemble/recommend/evidence.h"
#include "ensemble/store/database.h"
#include "ensemble/store/product_model.h"

namespace ensemble::recommend {

// Product vectors of one embedder model, looked up by catalog index. The rows are shared, not
// copied: they may be the ones the match stage of this process read (store::ProductVectorRows in
// the connection's ReadCache).
struct ProductVectors {
  std::string model_id;
  int dim = 0;
  std::shared_ptr<const store::ProductVectorRows> rows;
  std::vector<std::int32_t> row_of;  // per catalog product: its row in rows->values, -1 when none

  // The vectors of store::current_product_model (the match stage's model); empty when none. Taken
  // from db.read_cache() when the entry there has the key of the vectors as they are now
  // (store::product_vectors_key), else read. Throws Error(kBadInput) for a vector whose size does
  // not match its dimension or for mixed dimensions.
  static ProductVectors load(store::Database& db, const Catalog& catalog);
  // Aligns given rows with a catalog; ids that are not in it are ignored.
  static ProductVectors from_rows(std::shared_ptr<const store::ProductVectorRows> rows, const Catalog& catalog);

  bool has(std::int32_t product) const {
    return product >= 0 && static_cast<size_t>(product) < row_of.size() && row_of[static_cast<size_t>(product)] >= 0;
  }
  // REQUIRES: has(product).
  const float* row(std::int32_t product) const {
    return rows->values.data() + static_cast<size_t>(row_of[static_cast<size_t>(product)]) * static_cast<size_t>(dim);
  }
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
