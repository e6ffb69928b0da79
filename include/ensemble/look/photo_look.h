// Complete the look from a photo the system has not seen: the library behind
// `ensemble complete --image` and `POST /api/complete`.
//
// segment (the configured segmenter) -> embed each kept region's masked crop (the embedder that made
// the stored vectors) -> search the product index per region (top-k matches, minimum similarity from
// match.min_similarity) -> each region's slot by a similarity-weighted category vote of its matches
// -> the outfit: the main outfit context's regions propose their best match of their own slot,
// ranked by similarity × sqrt(share of the photo), one per slot and never two slots the rules keep
// apart (source "photo"); then the slots the learned slot plan expects next to those items, filled
// from stored pairs (source "pairs"). Details in docs/RECOMMEND.md.
//
// A photo with no usable region still returns its best whole-image matches (the whole image is
// used as one region, flagged "whole_image": true).
//
// Thread safety: complete() is const and may be called from several threads at once when each call
// gets its own store::Store (SQLite connections are per thread); the segmenter, embedder and index
// are shared read-only.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>

#include "ensemble/config/config.h"
#include "ensemble/store/store.h"

namespace ensemble::search {
class Searcher;
}

namespace ensemble::look {

struct LookOptions {
  int matches_per_region = 5;  // 1..100
  bool include_polygons = true;  // each region's outline, for drawing over the photo
};

// JSON shape (docs/RECOMMEND.md, "complete --image"):
// {"image": {"width", "height"},
//  "regions": [{"id": 0, "bbox": [x, y, w, h], "area", "context", "score", "slot", "category",
//               "slot_confidence", "whole_image"?: true, "polygon"?: [[x, y], ...],
//               "matches": [{"product", "score", "title", "category", "image"}]}],
//  "outfit": [{"product", "slot", "score", "source": "photo"|"pairs", "region"?: id,
//              "title", "category", "image", "reason"}],
//  "unfilled": [{"slot", "reason"}], "plan": "learned"|"rules"}
class PhotoLook {
 public:
  // Opens the segmenter from config (segment.*) and borrows searcher (its embedder and product
  // index; it must outlive this object). Throws like make_segmenter().
  PhotoLook(const config::Config& config, const search::Searcher& searcher);
  ~PhotoLook();

  // bgr: 8-bit BGR (as image::load_image returns). Throws Error(kBadInput) for an empty image.
  nlohmann::json complete(store::Store& store, const cv::Mat& bgr, const LookOptions& options = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ensemble::look
