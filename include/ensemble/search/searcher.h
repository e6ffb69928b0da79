// Visual and text search over the catalog: the library behind `ensemble search` and the server.
//
// by_image embeds a photo with the embedder that made the stored vectors and searches the product
// index; by_product finds products like a stored one; by_text uses the FTS5 index over titles,
// categories and attributes. Filters (category, text) restrict an image search. Results carry the
// product's title, category and image path (in the media folder).
// Not thread-safe (one Searcher per thread; it owns a database connection through the Store).
#pragma once

#include <opencv2/core/mat.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ensemble/config/config.h"
#include "ensemble/embed/embedder.h"
#include "ensemble/index/vector_index.h"
#include "ensemble/store/store.h"

namespace ensemble::search {

struct SearchHit {
  std::string product;
  float score = 0;  // cosine similarity (image) or a normalised text relevance in (0, 1]
  std::string title;
  std::string category;
  std::string image;  // path of the product image in the media folder
};

struct SearchOptions {
  int k = 10;                       // 1..1000
  std::optional<std::string> category;  // only this category (case-insensitive)
  std::optional<std::string> text;      // with an image/product query: only products matching it
};

class Searcher {
 public:
  // Opens the embedder and the product index. Throws like load_product_index().
  Searcher(store::Store& store, const config::Config& config);
  ~Searcher();

  std::vector<SearchHit> by_image(const cv::Mat& bgr, const SearchOptions& options) const;
  // Throws Error(kNotFound) for an unknown product id.
  std::vector<SearchHit> by_product(const std::string& product_id, const SearchOptions& options) const;
  // Text only (works without embeddings). Throws Error(kInvalidArgument) for an empty query.
  static std::vector<SearchHit> by_text(store::Store& store, const std::string& text,
                                        const SearchOptions& options);

  const embed::Embedder& embedder() const { return *embedder_; }
  const index::VectorIndex& product_index() const { return *index_; }

 private:
  std::vector<SearchHit> search_vector(const float* query, const SearchOptions& options,
                                       const std::string& exclude) const;
  store::Store& store_;
  std::unique_ptr<embed::Embedder> embedder_;
  std::unique_ptr<index::VectorIndex> index_;
};

// {"results":[{"product","score","title","category","image"}]}
nlohmann::json to_json(const std::vector<SearchHit>& hits);

// Checks a k from user input: Error(kBadInput) outside 1..1000.
void check_k(int k);

}  // namespace ensemble::search
