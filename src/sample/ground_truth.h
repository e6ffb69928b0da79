// ground_truth.json: the lookbooks' outfits with item boxes and masks, the hidden style model and
// the held-out outfits. Format documented in docs/SAMPLE.md; bump kGroundTruthVersion on change.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sample/catalog.h"
#include "sample/lookbook_composer.h"
#include "sample/lookbook_plan.h"
#include "sample/style_model.h"

namespace ensemble::sample {

inline constexpr int kGroundTruthVersion = 1;

struct GroundTruthInput {
  std::uint64_t seed = 0;
  int product_size = 0;
  int accessories = 0;
  const std::vector<ProductSpec>* products = nullptr;
  const StyleModel* model = nullptr;
  const SamplePlan* plan = nullptr;
  const std::vector<ComposedLookbook>* lookbooks = nullptr;  // parallel to plan->lookbooks
  double two_outfit_fraction = 0.0;
};

// The JSON text, two-space indented, keys in a fixed order.
std::string ground_truth_json(const GroundTruthInput& in);

}  // namespace ensemble::sample
