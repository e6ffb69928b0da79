// Complete the look: an outfit built one slot at a time from a seed product.
//
// The plan: the seed slot's completions with P(slot | seed slot) >= threshold (SlotModel, learnt or
// by rule), most probable first, skipping slots the rules exclude next to the seed (a dress plans
// no top). For each planned slot in turn, the candidate maximising the *sum* of compat() with every
// product chosen so far (seed included) wins, among candidates that pass the merchandiser rules
// against every chosen product and the seed's price band; a slot without a candidate is reported
// as unfilled. Deterministic: ties go to the smaller product id.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ensemble/recommend/evidence.h"
#include "ensemble/recommend/recommender.h"
#include "ensemble/recommend/rules.h"
#include "ensemble/recommend/slot_learner.h"

namespace ensemble::recommend {

struct OutfitItem {
  std::int32_t product = -1;  // -1: the slot stayed empty
  std::string slot;
  double score = 0;           // sum of compat() with the items chosen before it
  double probability = 0;     // P(slot | seed slot)
  std::string reason;         // why this product, or why the slot is empty
};

struct Outfit {
  std::int32_t seed = -1;
  std::string plan_source;          // "learned" | "rules" (from the SlotModel)
  std::vector<OutfitItem> items;    // the seed first, then planned slots in order
};

// The planned slots for a seed slot (see the file comment).
std::vector<SlotCompletion> plan_slots(const SlotModel& slots, const MerchRules& rules,
                                       const std::string& seed_slot, double threshold);

Outfit build_outfit(std::int32_t seed, const Catalog& catalog, const PairScorer& scorer,
                    const SlotModel& slots, const MerchRules& rules, double threshold);

// The same around several products already chosen (for example the items found in a photo), the
// first being the anchor for the price band. The plan is the union of the chosen slots' completions
// (for each slot its highest P(slot | chosen slot) >= threshold, most probable first), minus the
// chosen slots and the slots the rules exclude next to any chosen one. Items: the fixed products
// first (reason "in the photo"), then the planned slots. REQUIRES: fixed non-empty, distinct.
// build_outfit(seed, ...) is complete_outfit({seed}, ...) with the seed's reason "the seed".
Outfit complete_outfit(const std::vector<std::int32_t>& fixed, const Catalog& catalog,
                       const PairScorer& scorer, const SlotModel& slots, const MerchRules& rules,
                       double threshold);

}  // namespace ensemble::recommend
