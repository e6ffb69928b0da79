#include "ensemble/recommend/outfit.h"

#include <gtest/gtest.h>

#include <map>

namespace ensemble::recommend {
namespace {

// A scorer from a table of pair scores; candidates = every product of the slot.
class MapScorer : public PairScorer {
 public:
  explicit MapScorer(const Catalog& c) : catalog_(c) {}
  void set(std::int32_t a, std::int32_t b, double s) {
    scores_[{std::min(a, b), std::max(a, b)}] = s;
  }
  double compat(std::int32_t a, std::int32_t b) const override {
    const auto it = scores_.find({std::min(a, b), std::max(a, b)});
    return it == scores_.end() ? 0.0 : it->second;
  }
  std::vector<std::int32_t> candidates(std::int32_t, const std::string& slot) const override {
    std::vector<std::int32_t> out;
    for (std::int32_t i = 0; i < catalog_.size(); ++i) {
      if (catalog_[i].slot == slot) out.push_back(i);
    }
    return out;
  }

 private:
  const Catalog& catalog_;
  std::map<std::pair<std::int32_t, std::int32_t>, double> scores_;
};

std::int32_t add(Catalog& c, const std::string& id, const std::string& cat,
                 const std::string& gender = "women", const std::string& price = "50") {
  Product p;
  p.id = id;
  p.category = cat;
  p.attributes = {{"gender", gender}, {"price", price}};
  return c.add(p);
}

TEST(Outfit, BestGivenEverythingChosenSoFar) {
  Catalog c;
  const auto top = add(c, "T", "shirt");
  const auto b1 = add(c, "B1", "trousers");
  const auto b2 = add(c, "B2", "trousers");
  const auto b3 = add(c, "B3", "trousers", "men");
  const auto b4 = add(c, "B4", "trousers", "women", "1000");
  const auto s1 = add(c, "S1", "sneakers");
  const auto s2 = add(c, "S2", "sandals");
  const auto d = add(c, "D", "dress");
  MapScorer sc(c);
  sc.set(top, b1, 0.9);
  sc.set(top, b2, 0.5);
  sc.set(top, b3, 2.0);  // men's: the gender rule keeps it out
  sc.set(top, b4, 3.0);  // outside the price band
  sc.set(top, s1, 0.2);
  sc.set(b1, s1, 0.9);   // S1 goes with the chosen trousers...
  sc.set(top, s2, 0.6);  // ...S2 only with the seed
  sc.set(b1, s2, 0.1);
  sc.set(top, d, 5.0);   // a dress is never planned next to a top
  MerchRules rules;
  rules.exclusive_slots = {{"dress", "top"}, {"bottom", "dress"}};
  rules.price_band = 3;
  const SlotModel slots = SlotModel::learn({{{"top", 1}, {"bottom", 1}, {"shoes", 1}},
                                            {{"top", 1}, {"bottom", 1}, {"shoes", 1}},
                                            {{"top", 1}, {"dress", 1}}},
                                           1.0);
  const Outfit o = build_outfit(top, c, sc, slots, rules, 0.3);
  EXPECT_EQ(o.plan_source, "learned");
  ASSERT_EQ(o.items.size(), 3u);  // seed, bottom, shoes; no dress
  EXPECT_EQ(o.items[0].product, top);
  EXPECT_EQ(o.items[1].slot, "bottom");
  EXPECT_EQ(o.items[1].product, b1);
  EXPECT_EQ(o.items[2].slot, "shoes");
  EXPECT_EQ(o.items[2].product, s1);
  EXPECT_NEAR(o.items[2].score, 1.1, 1e-12);
  EXPECT_NEAR(o.items[1].probability, 2.0 / 3, 1e-12);
  EXPECT_FALSE(o.items[2].reason.empty());
}

TEST(Outfit, PlanSkipsExclusiveAndUnlikelySlotsAndReportsEmptyOnes) {
  MerchRules rules;
  rules.exclusive_slots = {{"dress", "top"}, {"bottom", "dress"}};
  const SlotModel slots = SlotModel::rules();
  const auto plan = plan_slots(slots, rules, "dress", 0.5);
  for (const auto& p : plan) {
    EXPECT_NE(p.slot, "top");
    EXPECT_NE(p.slot, "bottom");
  }
  ASSERT_FALSE(plan.empty());
  EXPECT_EQ(plan[0].slot, "shoes");

  Catalog c;
  const auto d = add(c, "D", "dress");
  MapScorer sc(c);
  const Outfit o = build_outfit(d, c, sc, slots, rules, 0.5);
  EXPECT_EQ(o.plan_source, "rules");
  ASSERT_GE(o.items.size(), 2u);
  EXPECT_EQ(o.items[1].product, -1);  // no shoes in this catalog
  EXPECT_FALSE(o.items[1].reason.empty());
}

TEST(Outfit, CompletesAroundSeveralFixedItemsWithTheUnionOfTheirPlans) {
  Catalog c;
  const auto top = add(c, "T", "shirt");
  const auto bottom = add(c, "B", "trousers");
  const auto s1 = add(c, "S1", "sneakers");
  const auto s2 = add(c, "S2", "sandals");
  const auto bag = add(c, "G", "bag");
  MapScorer sc(c);
  sc.set(top, s1, 0.2);
  sc.set(bottom, s1, 0.2);  // S1: 0.4 with both fixed items
  sc.set(top, s2, 0.5);     // S2: 0.5 with the top alone, so it wins
  sc.set(bottom, bag, 0.3);
  MerchRules rules;
  // top -> bottom 1, shoes 2/3; bottom -> top 1, shoes 2/3, bag 1/3.
  const SlotModel slots = SlotModel::learn({{{"top", 1}, {"bottom", 1}, {"shoes", 1}},
                                            {{"top", 1}, {"bottom", 1}, {"shoes", 1}},
                                            {{"top", 1}, {"bottom", 1}, {"bag", 1}}},
                                           1.0);
  const Outfit o = complete_outfit({top, bottom}, c, sc, slots, rules, 0.3);
  ASSERT_EQ(o.items.size(), 4u);  // the two fixed items, then shoes (2/3), then bag (1/3)
  EXPECT_EQ(o.items[0].product, top);
  EXPECT_EQ(o.items[0].reason, "in the photo");
  EXPECT_EQ(o.items[1].product, bottom);
  EXPECT_EQ(o.items[2].slot, "shoes");
  EXPECT_EQ(o.items[2].product, s2);
  EXPECT_NEAR(o.items[2].score, 0.5, 1e-12);
  EXPECT_NEAR(o.items[2].probability, 2.0 / 3, 1e-12);
  EXPECT_EQ(o.items[3].slot, "bag");
  EXPECT_EQ(o.items[3].product, bag);
  EXPECT_NEAR(o.items[3].probability, 1.0 / 3, 1e-12);
  // A higher threshold plans only the shoes; neither fixed slot is planned again.
  const Outfit strict = complete_outfit({top, bottom}, c, sc, slots, rules, 0.5);
  ASSERT_EQ(strict.items.size(), 3u);
  EXPECT_EQ(strict.items[2].slot, "shoes");
}

TEST(Rules, MerchandiserConstraints) {
  Catalog c;
  const auto w = add(c, "W", "shirt", "women");
  const auto m = add(c, "M", "trousers", "men");
  const auto u = add(c, "U", "trousers", "unisex");
  const auto k = add(c, "K", "trousers", "kids");
  const auto d = add(c, "D", "dress", "women");
  const auto w2 = add(c, "W2", "pullover", "women");
  MerchRules r;
  r.exclusive_slots = {{"dress", "top"}};
  std::string why;
  EXPECT_FALSE(r.compatible(c[w], c[m], &why));
  EXPECT_EQ(why, "women with men");
  EXPECT_TRUE(r.compatible(c[w], c[u]));
  EXPECT_FALSE(r.compatible(c[w], c[k], &why));
  EXPECT_EQ(why, "kids with adult");
  EXPECT_FALSE(r.compatible(c[w], c[d], &why));
  EXPECT_FALSE(r.compatible(c[w], c[w2], &why));  // one slot
  r.layering = {{"pullover", "shirt"}};
  EXPECT_TRUE(r.compatible(c[w], c[w2]));
  r.match_gender = false;
  EXPECT_TRUE(r.compatible(c[w], c[m]));

  Product red, pink;
  red.id = "r";
  red.slot = "top";
  red.attributes = {{"colour", "Red"}, {"style", "athletic"}};
  pink.id = "p";
  pink.slot = "bottom";
  pink.attributes = {{"colour", "pink"}, {"style", "office"}};
  r.colour_clashes = {{"pink", "red"}};
  EXPECT_FALSE(r.compatible(red, pink, &why));
  r.colour_clashes.clear();
  r.style_classes = {"athletic"};
  EXPECT_FALSE(r.compatible(red, pink, &why));
  r.style_classes.clear();
  EXPECT_TRUE(r.compatible(red, pink));

  r.max_per_slot = 1;
  DiversityCaps caps(r);
  EXPECT_TRUE(caps.admit(c[m]));
  EXPECT_FALSE(caps.admit(c[u]));  // a second bottom
  EXPECT_TRUE(caps.admit(c[w]));
}

}  // namespace
}  // namespace ensemble::recommend
