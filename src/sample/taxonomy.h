// The sample catalog's vocabulary: slots, categories, named colours and patterns.
//
// Fashion-MNIST's ten classes become the first ten categories (same order as the labels); the four
// accessory categories, drawn procedurally, follow. Every category fills one outfit slot.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ensemble::sample {

enum class Slot : std::uint8_t { kTop, kBottom, kDress, kOuterwear, kShoes, kBag, kAccessory };
inline constexpr int kSlotCount = 7;
std::string_view slot_name(Slot slot);

struct CategoryInfo {
  std::string_view name;  // lowercase, as written to catalog.csv
  Slot slot;
  std::string_view noun;  // for titles ("T-shirt", "Ankle boots")
};

// Category ids 0..9 equal the Fashion-MNIST labels; 10..13 are the accessories.
inline constexpr int kCategoryCount = 14;
inline constexpr int kFirstAccessoryCategory = 10;
inline constexpr int kWatch = 10;
inline constexpr int kBelt = 11;
inline constexpr int kSunglasses = 12;
inline constexpr int kHat = 13;
inline constexpr int kDressCategory = 3;
inline constexpr int kBagCategory = 8;

const CategoryInfo& category_info(int category);
inline bool is_accessory(int category) { return category >= kFirstAccessoryCategory; }
inline bool is_shoe(int category) { return category == 5 || category == 7 || category == 9; }

struct Rgb {
  std::uint8_t r, g, b;
};

struct NamedColour {
  std::string_view name;
  Rgb rgb;
};

// The global palette. Styles refer to colours by index into it.
inline constexpr int kColourCount = 30;
const std::array<NamedColour, kColourCount>& colours();
int colour_index(std::string_view name);  // -1 when unknown

enum class Pattern : std::uint8_t {
  kSolid,
  kStriped,
  kChecked,
  kDotted,
  kFloral,
  kCamouflage,
  kColourBlock,
};
inline constexpr int kPatternCount = 7;
std::string_view pattern_name(Pattern pattern);

enum class Gender : std::uint8_t { kWomen, kMen, kUnisex };
std::string_view gender_name(Gender gender);

}  // namespace ensemble::sample
