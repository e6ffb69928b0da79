#include "sample/taxonomy.h"

#include <cassert>

namespace ensemble::sample {

namespace {

constexpr std::array<CategoryInfo, kCategoryCount> kCategories = {{
    {"t-shirt", Slot::kTop, "T-shirt"},
    {"trousers", Slot::kBottom, "Trousers"},
    {"pullover", Slot::kTop, "Pullover"},
    {"dress", Slot::kDress, "Dress"},
    {"coat", Slot::kOuterwear, "Coat"},
    {"sandals", Slot::kShoes, "Sandals"},
    {"shirt", Slot::kTop, "Shirt"},
    {"sneakers", Slot::kShoes, "Sneakers"},
    {"bag", Slot::kBag, "Bag"},
    {"ankle boots", Slot::kShoes, "Ankle boots"},
    {"watch", Slot::kAccessory, "Watch"},
    {"belt", Slot::kAccessory, "Belt"},
    {"sunglasses", Slot::kAccessory, "Sunglasses"},
    {"hat", Slot::kAccessory, "Hat"},
}};

constexpr std::array<NamedColour, kColourCount> kColours = {{
    {"black", {28, 28, 30}},        {"white", {242, 242, 238}},    {"ivory", {236, 228, 205}},
    {"beige", {214, 196, 160}},     {"camel", {193, 148, 96}},     {"brown", {110, 72, 44}},
    {"navy", {30, 42, 92}},         {"blue", {40, 90, 190}},       {"sky blue", {128, 184, 230}},
    {"denim", {72, 104, 148}},      {"teal", {0, 118, 122}},       {"green", {36, 130, 60}},
    {"emerald", {8, 110, 80}},      {"olive", {110, 112, 48}},     {"khaki", {176, 160, 110}},
    {"mint", {160, 222, 190}},      {"yellow", {240, 210, 40}},    {"mustard", {206, 160, 30}},
    {"orange", {240, 124, 32}},     {"rust", {170, 74, 36}},       {"coral", {246, 116, 100}},
    {"red", {200, 32, 40}},         {"burgundy", {118, 24, 44}},   {"pink", {240, 130, 170}},
    {"blush", {236, 190, 186}},     {"purple", {110, 50, 140}},    {"lavender", {184, 164, 216}},
    {"grey", {140, 142, 146}},      {"charcoal", {62, 64, 70}},    {"silver", {192, 194, 200}},
}};

}  // namespace

std::string_view slot_name(Slot slot) {
  switch (slot) {
    case Slot::kTop: return "top";
    case Slot::kBottom: return "bottom";
    case Slot::kDress: return "dress";
    case Slot::kOuterwear: return "outerwear";
    case Slot::kShoes: return "shoes";
    case Slot::kBag: return "bag";
    case Slot::kAccessory: return "accessory";
  }
  return "?";
}

const CategoryInfo& category_info(int category) {
  assert(category >= 0 && category < kCategoryCount);
  return kCategories[static_cast<std::size_t>(category)];
}

const std::array<NamedColour, kColourCount>& colours() { return kColours; }

int colour_index(std::string_view name) {
  for (int i = 0; i < kColourCount; ++i) {
    if (kColours[static_cast<std::size_t>(i)].name == name) return i;
  }
  return -1;
}

std::string_view pattern_name(Pattern pattern) {
  switch (pattern) {
    case Pattern::kSolid: return "solid";
    case Pattern::kStriped: return "striped";
    case Pattern::kChecked: return "checked";
    case Pattern::kDotted: return "dotted";
    case Pattern::kFloral: return "floral";
    case Pattern::kCamouflage: return "camouflage";
    case Pattern::kColourBlock: return "colour-block";
  }
  return "?";
}

std::string_view gender_name(Gender gender) {
  switch (gender) {
    case Gender::kWomen: return "women";
    case Gender::kMen: return "men";
    case Gender::kUnisex: return "unisex";
  }
  return "?";
}

}  // namespace ensemble::sample
