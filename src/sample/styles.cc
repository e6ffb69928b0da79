// The style table: the hidden ground truth of which colours, patterns and outfits go together.
#include "sample/style_model.h"

namespace ensemble::sample {

const std::array<OutfitTemplate, kTemplateCount>& outfit_templates() {
  static const std::array<OutfitTemplate, kTemplateCount> kTemplates = {{
      {"top-bottom", {Slot::kTop, Slot::kBottom, Slot::kShoes},
       {{Slot::kBag, 0.4}, {Slot::kAccessory, 0.5}}},
      {"layered", {Slot::kTop, Slot::kBottom, Slot::kOuterwear, Slot::kShoes},
       {{Slot::kBag, 0.3}, {Slot::kAccessory, 0.4}}},
      {"dress", {Slot::kDress, Slot::kShoes, Slot::kBag}, {{Slot::kAccessory, 0.5}}},
      {"dress-coat", {Slot::kDress, Slot::kOuterwear, Slot::kShoes},
       {{Slot::kBag, 0.5}, {Slot::kAccessory, 0.3}}},
  }};
  return kTemplates;
}

const std::vector<Style>& styles() {
  // Patterns: solid, striped, checked, dotted, floral, camouflage, colour-block.
  // Templates: top-bottom, layered, dress, dress-coat.
  static const std::vector<Style> kStyles = {
      {"minimalist", 1.3,
       {{"black", 3}, {"white", 3}, {"grey", 2}, {"beige", 2}, {"camel", 1}, {"charcoal", 1}},
       {8, 1, 0, 0, 0, 0, 1}, {4, 3, 2, 1}, 0.55, 1.3},
      {"streetwear", 1.2,
       {{"black", 3}, {"white", 2}, {"red", 2}, {"olive", 1.5}, {"khaki", 1}, {"orange", 1}},
       {4, 1, 0, 0, 0, 2, 3}, {6, 3, 0.5, 0}, 0.4, 1.0},
      {"boho", 1.0,
       {{"mustard", 2}, {"rust", 2}, {"brown", 2}, {"ivory", 2}, {"olive", 1}, {"coral", 1}},
       {3, 1, 0, 1, 4, 0, 0.5}, {2, 1, 5, 1}, 0.85, 0.9},
      {"preppy", 1.0,
       {{"navy", 3}, {"white", 2}, {"red", 1.5}, {"green", 1.5}, {"sky blue", 1.5}, {"camel", 1}},
       {3, 3, 3, 0.5, 0, 0, 0.5}, {4, 4, 1, 1}, 0.5, 1.2},
      {"office", 1.1,
       {{"charcoal", 3}, {"navy", 3}, {"grey", 2}, {"white", 2}, {"sky blue", 1.5}, {"beige", 1}},
       {6, 2, 1, 0, 0, 0, 0}, {3, 5, 2, 2}, 0.5, 1.4},
      {"sporty", 0.9,
       {{"black", 2}, {"white", 2}, {"blue", 2}, {"red", 1.5}, {"grey", 1.5}, {"yellow", 1},
        {"mint", 1}},
       {4, 2, 0, 0, 0, 0, 4}, {8, 2, 0.5, 0}, 0.45, 0.8},
      {"romantic", 0.9,
       {{"blush", 3}, {"pink", 2}, {"lavender", 2}, {"white", 2}, {"ivory", 2}, {"sky blue", 1}},
       {3, 1, 0, 3, 4, 0, 0}, {2, 1, 6, 2}, 0.9, 1.0},
      {"grunge", 0.8,
       {{"black", 3}, {"charcoal", 2}, {"burgundy", 2}, {"olive", 1.5}, {"denim", 2}, {"brown", 1}},
       {4, 0.5, 4, 0, 0, 1, 0}, {4, 5, 1, 1}, 0.5, 0.85},
      {"nautical", 0.7,
       {{"navy", 4}, {"white", 3}, {"red", 2}, {"sky blue", 1}},
       {3, 6, 0, 1, 0, 0, 0.5}, {5, 2, 3, 1}, 0.6, 1.0},
      {"safari", 0.6,
       {{"khaki", 3}, {"olive", 3}, {"beige", 2}, {"brown", 2}, {"camel", 2}},
       {5, 0, 0, 0, 0, 3, 0.5}, {4, 3, 2, 1}, 0.5, 1.1},
      {"evening", 0.7,
       {{"black", 4}, {"burgundy", 2}, {"emerald", 2}, {"silver", 1.5}, {"navy", 1}, {"purple", 1}},
       {7, 0, 0, 1, 0, 0, 0}, {1, 1, 6, 3}, 0.8, 1.8},
      {"scandi", 0.8,
       {{"grey", 2}, {"white", 2}, {"sky blue", 2}, {"mint", 1.5}, {"beige", 2}, {"navy", 1}},
       {5, 2, 2, 1, 0, 0, 1}, {3, 4, 1, 1}, 0.55, 1.15},
  };
  return kStyles;
}

}  // namespace ensemble::sample
