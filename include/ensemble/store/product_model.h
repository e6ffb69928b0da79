// Which embedder's product vectors the pipeline uses: the model with the most product vectors in
// `embeddings`, the newest (largest run_id) on a tie; "" when there are none. The match, index and
// recommend stages all ask this one function, so they never disagree.
//
// Cost: the counts come from the primary-key index alone; the run ids (which live in the 2 KB rows
// beside the vectors) are read only for models tied on count.
#pragma once

#include <string>

#include "ensemble/store/database.h"

namespace ensemble::store {

std::string current_product_model(Database& db);

}  // namespace ensemble::store
