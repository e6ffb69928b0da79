// Merchandiser rules: hard constraints a shop can read and edit in the config ([recommend]), applied
// to every list and every outfit after the learnt scores (docs/RECOMMEND.md, "Rules").
//
//   - one item per slot: a recommendation never shares the seed's slot (a substitute, not a
//     complement) unless the category pair is a layering rule (recommend.layering);
//   - exclusive slots (recommend.exclusive_slots, default: a dress never with a top or a bottom);
//   - gender (recommend.match_gender): women with women or unisex, men with men or unisex; kids
//     (gender kids/girls/boys, or age attribute kids/child/children/baby) only with kids;
//   - style classes (recommend.style_classes): those styles only with the same style;
//   - colour clashes (recommend.colour_clashes): colour pairs never together;
//   - price band (recommend.price_band): candidates priced within [seed/band, seed*band];
//   - diversity caps per list (recommend.max_per_slot, max_per_colour, max_per_category).
// Missing attributes never block: a rule applies only when both products have the attribute.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "ensemble/config/config.h"
#include "ensemble/recommend/evidence.h"

namespace ensemble::recommend {

struct MerchRules {
  bool match_gender = true;
  std::string gender_attribute = "gender";
  std::string age_attribute = "age_group";
  std::string style_attribute = "style";
  std::string colour_attribute = "colour";
  std::set<std::pair<std::string, std::string>> exclusive_slots;  // each pair ordered
  std::set<std::pair<std::string, std::string>> layering;         // category pairs, ordered
  std::set<std::string> style_classes;
  std::set<std::pair<std::string, std::string>> colour_clashes;   // ordered
  double price_band = 0;  // 0 = off
  int max_per_slot = 0, max_per_colour = 0, max_per_category = 0;  // 0 = no cap

  // The [recommend] section. Throws Error(kInvalidArgument) for malformed pair lists.
  static MerchRules from_config(const config::Config& config);

  // Whether a and b may be in one list (seed and recommendation) or one outfit. When not, *why (if
  // given) receives a short reason ("same slot", "dress never with top", ...).
  bool compatible(const Product& a, const Product& b, std::string* why = nullptr) const;
  // The price band around the seed's price (true when off or a price is missing).
  bool price_ok(const Product& seed, const Product& candidate) const;
};

// MerchRules::compatible over one catalog, each product's rule inputs reduced once to small
// integers (slot, category, kids and age info, gender, style, colour), for the batch job that asks
// it for every candidate of every list: compatible(a, b) == rules.compatible(catalog[a],
// catalog[b]) for catalog indices a, b. Keeps no reference to either argument.
class CompiledRules {
 public:
  CompiledRules() = default;
  CompiledRules(const MerchRules& rules, const Catalog& catalog);
  bool compatible(std::int32_t a, std::int32_t b) const;
  // What DiversityCaps counts a product by, as codes: its slot, category and lower-cased colour
  // (-1 when it has none). Equal codes mean equal strings.
  int slot_code(std::int32_t p) const { return keys_[static_cast<size_t>(p)].slot; }
  int category_code(std::int32_t p) const { return keys_[static_cast<size_t>(p)].category; }
  int colour_code(std::int32_t p) const { return keys_[static_cast<size_t>(p)].colour; }

 private:
  struct Key {
    int slot = 0, category = 0;
    bool age_info = false, kids = false;
    int gender = 0;            // 1 women, 2 men, 0 anything else
    int style = -1;            // lower-cased style code, -1 when missing
    bool style_class = false;  // the style is one of rules.style_classes
    int colour = -1;           // lower-cased colour code, -1 when missing
  };
  static std::uint64_t pair_key(int x, int y) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(x)) << 32) |
           static_cast<std::uint32_t>(y);
  }
  std::vector<Key> keys_;
  bool match_gender_ = false, any_layering_ = false, styles_ = false, clashes_ = false;
  std::unordered_set<std::uint64_t> layering_;   // category code pairs, both orders
  std::unordered_set<std::uint64_t> exclusive_;  // slot code pairs, both orders
  std::unordered_set<std::uint64_t> clash_;      // colour code pairs, both orders
};

// Counts a list's items per slot, colour and category against the caps.
class DiversityCaps {
 public:
  explicit DiversityCaps(const MerchRules& rules) : rules_(rules) {}
  // True (and counted) when adding p keeps every cap.
  bool admit(const Product& p);

 private:
  const MerchRules& rules_;
  std::map<std::string, int> slot_, colour_, category_;
};

// DiversityCaps over CompiledRules' codes, for the batch job: admit(p) == DiversityCaps::admit(
// catalog[p]) for the same sequence of products. For one list (it counts up to the list's length).
class CompiledCaps {
 public:
  CompiledCaps(const MerchRules& rules, const CompiledRules& compiled);
  bool admit(std::int32_t p);

 private:
  // (code, count) per cap; a list holds few items, so a linear search beats a map.
  static int& count(std::vector<std::pair<int, int>>& counts, int code);
  const CompiledRules& compiled_;
  int max_slot_, max_colour_, max_category_;
  std::vector<std::pair<int, int>> slot_, colour_, category_;
};

}  // namespace ensemble::recommend
