// The reverse direction of matching: where a product appears or fits — its best-matching lookbook
// regions (the match stage's product -> region lists). Behind `ensemble lookbooks-for` and
// GET /api/products/{id}/lookbooks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ensemble/store/store.h"

namespace ensemble::search {

struct LookbookHit {
  std::string lookbook;
  std::int64_t region = 0;
  std::int64_t context = 0;
  std::int64_t bbox[4] = {0, 0, 0, 0};  // x, y, w, h in lookbook pixels
  double score = 0;
  std::string region_category;
  std::string image_sha, image_ext;  // the lookbook photo in the media folder
};

// At most k hits, best (rank 1) first; empty before the match stage has run. Throws
// Error(kNotFound) for an unknown product id.
std::vector<LookbookHit> lookbooks_for(store::Store& store, const std::string& product_id, int k);

// {"lookbook", "region", "context", "bbox": [x, y, w, h], "score", "region_category"}
nlohmann::json to_json(const LookbookHit& hit);

}  // namespace ensemble::search
