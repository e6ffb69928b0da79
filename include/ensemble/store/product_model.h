// Which embedder's product vectors the pipeline uses: the model with the most product vectors in
// `embeddings`, the newest (largest run_id) on a tie; "" when there are none. The match, index and
// recommend stages all ask this one function, so they never disagree.
//
// Cost: the counts come from the primary-key index alone; the run ids (which live in the 2 KB rows
// beside the vectors) are read only for models tied on count.
#pragma once

#include <string>
#include <vector>

#include "ensemble/store/database.h"

namespace ensemble::store {

std::string current_product_model(Database& db);

// Every product vector of one model, as the match stage reads them (ids ascending, row i of
// `values` belongs to ids[i]). The match stage leaves them in the connection's ReadCache under
// kProductVectorsEntry and product_vectors_key; the recommend stage takes them from there instead
// of reading them again.
struct ProductVectorRows {
  std::string model;
  int dim = 0;
  std::vector<std::string> ids;
  std::vector<float> values;  // ids.size() × dim
};
inline constexpr const char* kProductVectorsEntry = "product-vectors";

// The product vectors as they are now, without reading them (indexes only): the embed stage's
// 'product-vectors' token (replaced in the transaction of every write or deletion of product
// vectors) and the count and largest rowid of the product rows — of every model, or of `model`
// when given. The index and recommend stages fingerprint their input with it.
std::string product_vectors_stamp(Database& db, const std::string& model = "");

// The cache key of `model`'s product vectors as they are now: the model and its stamp.
std::string product_vectors_key(Database& db, const std::string& model);

}  // namespace ensemble::store
