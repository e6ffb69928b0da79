// The hidden style model: which products go together.
//
// A fixed set of styles (minimalist, streetwear, boho, ...), each with a colour palette, pattern
// preferences, outfit templates and a women/men mix. Every product belongs to one style and takes
// its colour and pattern mostly from it. Outfits are drawn style first, then template, then one
// product per slot from the style's pool for that slot and gender, with Zipf-like popularity inside
// the pool so a few products recur across lookbooks. Each style also has a few signature looks
// (fixed outfits, re-shot with a piece or two swapped), so whole pairings recur and co-occurrence
// is learnable. A handful of "hub" accessories are added to many outfits regardless of style: the
// popularity hijack a recommender must learn to discount.
// Thread-safe for concurrent const use once built.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "sample/catalog.h"
#include "sample/random.h"
#include "sample/taxonomy.h"

namespace ensemble::sample {

struct OutfitTemplate {
  std::string_view name;
  std::vector<Slot> required;
  std::vector<std::pair<Slot, double>> optional;  // slot and the chance it is added
};

inline constexpr int kTemplateCount = 4;
const std::array<OutfitTemplate, kTemplateCount>& outfit_templates();

struct Style {
  std::string_view name;
  double weight;                                          // share of products and of outfits
  std::vector<std::pair<std::string_view, double>> palette;  // colour name, weight
  std::array<double, kPatternCount> patterns;             // weight per Pattern
  std::array<double, kTemplateCount> templates;           // weight per outfit template
  double women_share;                                     // of gendered products and outfits
  double price_factor;
};

const std::vector<Style>& styles();

struct StyleModelParams {
  double zipf_exponent = 1.1;     // popularity inside a pool: weight 1/rank^s
  double off_palette_rate = 0.1;  // products whose colour ignores their style's palette
  double off_pattern_rate = 0.1;  // products whose pattern ignores their style's preferences
  double cross_style_rate = 0.08; // outfit items borrowed from another style
  int hubs = 5;                   // accessories that join outfits of every style
  double hub_rate = 0.5;          // chance an outfit gets one hub accessory
  double hub_zipf_exponent = 0.5; // how unevenly the hubs share that chance
  int looks_per_style = 6;        // signature looks of each style
  double look_rate = 0.45;        // chance an outfit is one of its style's signature looks
  double look_zipf_exponent = 0.8;// how unevenly the looks share that chance
  double remix_rate = 0.3;        // chance each piece of a signature look is swapped for another
};

struct OutfitItem {
  int product = 0;  // index into the catalog
  Slot slot = Slot::kTop;
  bool hub = false;
};

struct Outfit {
  int style = 0;
  int template_id = 0;
  Gender gender = Gender::kWomen;
  std::vector<OutfitItem> items;  // in slot order
};

// Draws style, colours, pattern and gender for a new product of the given category.
void assign_style_attributes(Rng& rng, int category, const StyleModelParams& params,
                             ProductSpec& product);

class StyleModel {
 public:
  // Builds the per-(style, slot, gender) popularity pools over a finished catalog and picks the
  // hubs; the ranking inside each pool is drawn from seed. REQUIRES: products outlive the model.
  StyleModel(const std::vector<ProductSpec>& products, std::uint64_t seed,
             StyleModelParams params = {});

  // One outfit: style drawn by weight (or the given style), then template, then items.
  Outfit sample_outfit(Rng& rng) const;
  Outfit sample_outfit(Rng& rng, int style) const;

  const std::vector<int>& hubs() const { return hubs_; }
  // The signature looks of a style (without hubs).
  const std::vector<Outfit>& looks(int style) const { return looks_[static_cast<std::size_t>(style)]; }
  const std::vector<double>& hub_weights() const { return hub_weights_; }
  const StyleModelParams& params() const { return params_; }
  // Products per style in the catalog.
  const std::vector<int>& style_sizes() const { return style_sizes_; }

 private:
  struct Pool {
    std::vector<int> products;  // rank order
    Discrete draw;
  };
  static int gender_slot(Gender g) { return g == Gender::kMen ? 1 : 0; }
  const Pool* pool(int style, Slot slot, Gender gender) const;
  int draw_product(Rng& rng, int style, Slot slot, Gender gender) const;
  Outfit fresh_outfit(Rng& rng, int style) const;  // template and items, no hub
  void add_hub(Rng& rng, Outfit& outfit) const;

  const std::vector<ProductSpec>* products_;
  StyleModelParams params_;
  // [style][slot][gender 0 women, 1 men]; style == styles().size() is the all-styles fallback.
  std::vector<std::array<std::array<Pool, 2>, kSlotCount>> pools_;
  Discrete style_draw_;
  std::vector<int> hubs_;
  std::vector<double> hub_weights_;
  Discrete hub_draw_;
  std::vector<int> style_sizes_;
  std::vector<std::vector<Outfit>> looks_;  // per style
  Discrete look_draw_;
};

}  // namespace ensemble::sample
