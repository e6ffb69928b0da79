// Visual and text search over the catalog: the library behind `ensemble search` and the server.
//
// by_image embeds a photo with the embedder that made the stored vectors, together with copies of
// it turned by a few degrees (SearchModel::views, embed/query_views.h), searches the product index
// with the mean of the views' embeddings, and scores each hit by the better of its cosine to that
// mean and to the photo alone (a catalog photo finds itself at 1); by_product finds products like
// a stored one; by_text uses the FTS5 index over titles, categories and attributes. Filters
// (category, text) restrict an image search. Results carry the product's title, category and
// image path (in the media folder).
//
// Thread safety: a Searcher is not thread-safe (it queries through its Store's connection, and a
// Store is one per thread). The expensive read-only parts — the embedder and the loaded product
// index — live in a SearchModel that many Searchers on different threads may share: open it once
// with open_search_model(), then build a cheap Searcher(store, model) per thread (the server does).
#pragma once

#include <opencv2/core/mat.hpp>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ensemble/config/config.h"
#include "ensemble/embed/embedder.h"
#include "ensemble/embed/query_views.h"
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

// The embedder that made the stored vectors and the product index loaded for querying, both
// immutable once opened. Shared, const: safe to use from several threads at once.
struct SearchModel {
  std::shared_ptr<const embed::Embedder> embedder;
  std::shared_ptr<const index::VectorIndex> index;
  embed::QueryViewOptions views;  // of image queries; per_side 0 = the photo alone
};

// Opens the embedder (open_embedder) and the product index (load_product_index), both used on one
// thread per query; the views from config search.query_views and search.view_step_degrees.
// Throws like those: Error(kNotFound) with no index yet, Error(kConflict) when stale.
SearchModel open_search_model(store::Store& store, const config::Config& config);

class Searcher {
 public:
  // Opens the embedder and the product index. Throws like load_product_index().
  // store: borrowed, must outlive the Searcher; every query reads product rows through it.
  Searcher(store::Store& store, const config::Config& config);
  // Shares an opened model (REQUIRES: both pointers set). Cheap: no file is read.
  Searcher(store::Store& store, SearchModel model);
  ~Searcher();

  std::vector<SearchHit> by_image(const cv::Mat& bgr, const SearchOptions& options) const;
  // Throws Error(kNotFound) for an unknown product id.
  std::vector<SearchHit> by_product(const std::string& product_id, const SearchOptions& options) const;
  // Searches with a vector already in the index's space (dim() floats, L2-normalised), e.g. a
  // region embedded by embedder(). Throws Error(kInvalidArgument) for a wrong length.
  std::vector<SearchHit> by_vector(std::span<const float> query, const SearchOptions& options) const;
  // Text only (works without embeddings). Throws Error(kInvalidArgument) for an empty query.
  static std::vector<SearchHit> by_text(store::Store& store, const std::string& text,
                                        const SearchOptions& options);

  const embed::Embedder& embedder() const { return *model_.embedder; }
  const index::VectorIndex& product_index() const { return *model_.index; }
  const SearchModel& model() const { return model_; }

 private:
  // photo: when given (an image query's own embedding, `query` being its combined views), each
  // hit scores the better of its cosine to `query` and to `photo`, and the hits are re-sorted.
  std::vector<SearchHit> search_vector(const float* query, const SearchOptions& options,
                                       const std::string& exclude,
                                       std::span<const float> photo = {}) const;
  store::Store& store_;
  SearchModel model_;
};

// {"results":[{"product","score","title","category","image"}]}
nlohmann::json to_json(const std::vector<SearchHit>& hits);

// Checks a k from user input: Error(kBadInput) outside 1..1000.
void check_k(int k);

}  // namespace ensemble::search
