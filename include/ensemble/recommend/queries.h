// The recommendation queries behind `ensemble recommend`, `complete`, `slots` and `feedback` (and
// the HTTP API): they read what the cooccur and recommend stages stored, and apply feedback given
// since the last recommend run on top, so a vote shows at once. JSON shapes in docs/RECOMMEND.md.
//
// Errors: an unknown product is Error(kNotFound) naming it. A known product without data gets an
// empty list with a "reason", never an error.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ensemble/config/config.h"
#include "ensemble/store/store.h"

namespace ensemble::recommend {

// {"product": ID, "scoring": ..., "recommendations": [{"product", "score", "slot", "support",
//  "evidence": [lookbook ids], "source", "reason", ...}], "reason"?: why empty}
nlohmann::json recommend_query(store::Store& store, const config::Config& config,
                               const std::string& product_id, int k);

// {"product": ID, "plan": "learned"|"rules", "outfit": [{"product", "slot", "score",
//  "probability", "reason", "evidence"}], "unfilled": [{"slot", "reason"}]}
nlohmann::json complete_query(store::Store& store, const config::Config& config,
                              const std::string& product_id);

// An outfit around several given products (e.g. the items found in a photo; the first is the anchor
// for the price band): {"plan", "outfit": [the given products first (reason "in the photo"), then
// one product per planned slot], "unfilled"}. Error(kNotFound) for an unknown id,
// Error(kInvalidArgument) for an empty list.
nlohmann::json complete_items_query(store::Store& store, const config::Config& config,
                                    const std::vector<std::string>& product_ids);

// {"scoring": ..., "slots": [{"seed", "source", "support", "completions": [{"slot",
//  "probability"}]}], "note"?: ...}
nlohmann::json slots_query(store::Store& store, const config::Config& config);

// The id of the stage_items row that holds the recommend stage's own state (not a product).
inline constexpr const char* kRecommendStateItem = "@lists";

}  // namespace ensemble::recommend
