#include "ensemble/recommend/rules.h"

#include <gtest/gtest.h>

#include <random>
#include <tuple>

namespace ensemble::recommend {
namespace {

// CompiledRules must decide exactly as MerchRules::compatible, case quirks included.
TEST(CompiledRules, DecidesAsTheRulesForEveryPairOfARandomCatalog) {
  const std::vector<std::string> categories = {"shirt", "Coat", "coat", "blouse", "cardigan",
                                               "dress", "jeans", "sneakers", "bag"};
  const std::vector<std::string> slots = {"top", "outerwear", "outerwear", "top", "top",
                                          "dress", "bottom", "shoes", "Bag"};
  const std::vector<std::string> genders = {"", "women", "Women", "MEN", "men", "unisex", "kids",
                                            "girls", "Boys"};
  const std::vector<std::string> ages = {"", "adult", "Kids", "child", "baby"};
  const std::vector<std::string> styles = {"", "Formal", "formal", "sport", "casual"};
  const std::vector<std::string> colours = {"", "Red", "red", "pink", "green", "NAVY", "navy"};
  std::mt19937 rng(7);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  Catalog catalog;
  for (int i = 0; i < 80; ++i) {
    Product p;
    p.id = std::to_string(i);
    p.id.insert(0, 1, 'p');
    const size_t c = rng() % categories.size();
    p.category = categories[c];
    p.slot = slots[c];
    for (const auto& [key, values] : {std::make_pair("gender", &genders), std::make_pair("age_group", &ages),
                                      std::make_pair("style", &styles), std::make_pair("colour", &colours)}) {
      const std::string v = pick(*values);
      if (!v.empty()) p.attributes[key] = v;
    }
    catalog.add(std::move(p), SlotTable());
  }
  MerchRules plain;
  plain.match_gender = false;
  MerchRules full;
  full.layering = {{"coat", "shirt"}, {"blouse", "cardigan"}, {"shirt", "shirt"}};
  full.exclusive_slots = {{"dress", "top"}, {"bottom", "dress"}, {"bag", "shoes"}};
  full.style_classes = {"formal"};
  full.colour_clashes = {{"pink", "red"}, {"green", "navy"}, {"no", "such"}};
  int refused = 0, allowed = 0;
  for (const MerchRules* rules : {&plain, &full}) {
    const CompiledRules compiled(*rules, catalog);
    for (std::int32_t a = 0; a < catalog.size(); ++a) {
      for (std::int32_t b = 0; b < catalog.size(); ++b) {
        const bool want = rules->compatible(catalog[a], catalog[b]);
        ASSERT_EQ(compiled.compatible(a, b), want) << catalog[a].id << " " << catalog[b].id;
        (want ? allowed : refused)++;
      }
    }
  }
  // Both outcomes occur often enough for the comparison to mean something.
  EXPECT_GT(refused, 1000);
  EXPECT_GT(allowed, 1000);

  // CompiledCaps admits exactly what DiversityCaps admits, over random sequences and every
  // combination of caps (colours differ in case only in some products: "Red" and "red" count as one).
  int admitted = 0, capped = 0;
  for (const auto& [slot_cap, colour_cap, category_cap] :
       {std::tuple{1, 0, 0}, std::tuple{2, 2, 0}, std::tuple{0, 1, 3}, std::tuple{3, 2, 1}, std::tuple{0, 0, 0}}) {
    full.max_per_slot = slot_cap;
    full.max_per_colour = colour_cap;
    full.max_per_category = category_cap;
    const CompiledRules compiled(full, catalog);
    for (int trial = 0; trial < 50; ++trial) {
      DiversityCaps want(full);
      CompiledCaps got(full, compiled);
      for (int i = 0; i < 30; ++i) {
        const auto p = static_cast<std::int32_t>(rng() % static_cast<unsigned>(catalog.size()));
        const bool w = want.admit(catalog[p]);
        ASSERT_EQ(got.admit(p), w) << catalog[p].id << " at " << i;
        (w ? admitted : capped)++;
      }
    }
  }
  EXPECT_GT(admitted, 500);
  EXPECT_GT(capped, 500);
}

}  // namespace
}  // namespace ensemble::recommend
