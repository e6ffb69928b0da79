// Which outfits each lookbook shows, and the held-out outfits no lookbook shows: pure data, drawn
// before any pixel is rendered so the renderer knows which product images it must keep.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sample/style_model.h"

namespace ensemble::sample {

struct LookbookPlan {
  std::string id;                // "lb0007"
  std::vector<Outfit> outfits;   // one, or two shown side by side
  std::uint64_t render_seed = 0;
};

struct SamplePlan {
  std::vector<LookbookPlan> lookbooks;
  // Outfits from the same style model whose product set is not contained in any lookbook.
  std::vector<Outfit> held_out;
};

// "lb0007": four digits, more when needed.
std::string lookbook_id(int index);

// Exactly round(two_outfit_fraction * lookbooks) lookbooks get two outfits, at seeded positions;
// the second outfit shares its style with the first half the time and never shares a product.
// May return fewer held-out outfits than asked when the catalog is too small to find new ones.
SamplePlan plan_sample(const StyleModel& model, int lookbooks, int held_out,
                       double two_outfit_fraction, std::uint64_t seed);

// The sorted, de-duplicated product indices of an outfit.
std::vector<int> outfit_products(const Outfit& outfit);

}  // namespace ensemble::sample
