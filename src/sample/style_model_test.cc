#include "sample/style_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "sample/lookbook_plan.h"

namespace ensemble::sample {
namespace {

// A catalog shaped like the generator's: garments of the ten classes, plus accessories.
std::vector<ProductSpec> make_catalog(int garments, int accessories, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<ProductSpec> products;
  for (int i = 0; i < garments + accessories; ++i) {
    ProductSpec p;
    p.id = product_id(i);
    const int category = i < garments ? i % 10 : kFirstAccessoryCategory + (i - garments) % 4;
    assign_style_attributes(rng, category, StyleModelParams{}, p);
    products.push_back(p);
  }
  return products;
}

bool has_slot(const Outfit& o, Slot s) {
  return std::any_of(o.items.begin(), o.items.end(), [&](const OutfitItem& it) { return it.slot == s; });
}

TEST(StyleModelTest, ProductsTakeColoursMostlyFromTheirStylesPalette) {
  const auto products = make_catalog(5000, 0, 1);
  int on_palette = 0;
  std::vector<int> per_style(styles().size(), 0);
  for (const ProductSpec& p : products) {
    ++per_style[static_cast<std::size_t>(p.style)];
    const Style& st = styles()[static_cast<std::size_t>(p.style)];
    const auto name = colours()[static_cast<std::size_t>(p.colour)].name;
    on_palette += std::any_of(st.palette.begin(), st.palette.end(), [&](const auto& c) { return c.first == name; });
    EXPECT_NE(p.colour, p.colour2);
    if (p.category == kDressCategory) {
      EXPECT_EQ(p.gender, Gender::kWomen);
    }
  }
  EXPECT_GT(on_palette, 5000 * 0.88);  // 10% go off palette, some of those land on it by chance
  for (int n : per_style) EXPECT_GT(n, 150);  // every style has products
}

TEST(StyleModelTest, OutfitsFollowTheirTemplate) {
  const auto products = make_catalog(3000, 60, 2);
  const StyleModel model(products, 2);
  Rng rng(3);
  for (int i = 0; i < 500; ++i) {
    const Outfit o = model.sample_outfit(rng);
    const OutfitTemplate& t = outfit_templates()[static_cast<std::size_t>(o.template_id)];
    for (Slot s : t.required) EXPECT_TRUE(has_slot(o, s)) << t.name << " lacks " << slot_name(s);
    if (has_slot(o, Slot::kDress)) {
      EXPECT_EQ(o.gender, Gender::kWomen);
      EXPECT_FALSE(has_slot(o, Slot::kTop));
    }
    std::set<int> ids, accessory_categories;
    for (const OutfitItem& it : o.items) {
      EXPECT_TRUE(ids.insert(it.product).second) << "a product twice in one outfit";
      const ProductSpec& p = products[static_cast<std::size_t>(it.product)];
      EXPECT_EQ(p.slot(), it.slot);
      if (p.gender != Gender::kUnisex) {
        EXPECT_EQ(p.gender, o.gender);
      }
      if (it.slot == Slot::kAccessory) {
        EXPECT_TRUE(accessory_categories.insert(p.category).second) << "two accessories of one kind";
      }
    }
  }
}

TEST(StyleModelTest, ItemsComeMostlyFromTheOutfitsStyle) {
  const auto products = make_catalog(6000, 60, 4);
  const StyleModel model(products, 4);
  Rng rng(5);
  int same = 0, total = 0;
  for (int i = 0; i < 400; ++i) {
    const Outfit o = model.sample_outfit(rng);
    for (const OutfitItem& it : o.items) {
      if (it.hub) continue;
      ++total;
      same += products[static_cast<std::size_t>(it.product)].style == o.style;
    }
  }
  EXPECT_GT(same, total * 0.85);  // cross_style_rate is 8%
}

// The popularity hijack: a handful of accessories join outfits of every style.
TEST(StyleModelTest, HubAccessoriesAppearInFarMoreOutfitsThanTheMedianProduct) {
  const auto products = make_catalog(8000, 80, 6);
  const StyleModel model(products, 6);
  ASSERT_EQ(model.hubs().size(), 5u);
  std::set<int> hub_categories;
  for (int h : model.hubs()) {
    EXPECT_TRUE(is_accessory(products[static_cast<std::size_t>(h)].category));
    hub_categories.insert(products[static_cast<std::size_t>(h)].category);
  }
  EXPECT_EQ(hub_categories.size(), 4u);  // watch, sunglasses, belt, hat, then a second watch

  const SamplePlan plan = plan_sample(model, 300, 0, 0.3, 6);
  std::map<int, int> outfits_with;
  std::map<int, std::set<int>> styles_of_hub;
  for (const LookbookPlan& lb : plan.lookbooks) {
    for (const Outfit& o : lb.outfits) {
      for (const OutfitItem& it : o.items) {
        ++outfits_with[it.product];
        if (it.hub) styles_of_hub[it.product].insert(o.style);
      }
    }
  }
  std::vector<int> counts;
  for (const auto& [product, n] : outfits_with) counts.push_back(n);
  std::sort(counts.begin(), counts.end());
  const int median = counts[counts.size() / 2];
  for (int h : model.hubs()) {
    EXPECT_GT(outfits_with[h], 5 * median) << products[static_cast<std::size_t>(h)].id;
    EXPECT_GT(styles_of_hub[h].size(), 5u) << "a hub is worn across styles";
  }
}

TEST(StyleModelTest, PopularityInsideAStyleIsSkewed) {
  const auto products = make_catalog(12000, 80, 7);
  const StyleModel model(products, 7);
  Rng rng(8);
  std::map<int, int> tops;
  for (int i = 0; i < 2000; ++i) {
    const Outfit o = model.sample_outfit(rng, 0);
    for (const OutfitItem& it : o.items) {
      if (it.slot == Slot::kTop) ++tops[it.product];
    }
  }
  std::vector<int> counts;
  int total = 0;
  for (const auto& [p, n] : tops) {
    counts.push_back(n);
    total += n;
  }
  std::sort(counts.rbegin(), counts.rend());
  // Zipf: the most worn top of the style recurs far more than the typical one.
  EXPECT_GT(counts[0], 20 * counts[counts.size() / 2]);
  int top10 = 0;
  for (std::size_t i = 0; i < 10 && i < counts.size(); ++i) top10 += counts[i];
  EXPECT_GT(top10, total / 3);
}

// Pairs of (non-hub) products shown together in at least two outfits.
int recurring_pairs(const SamplePlan& plan, const StyleModel& model) {
  const std::set<int> hubs(model.hubs().begin(), model.hubs().end());
  std::map<std::pair<int, int>, int> pairs;
  for (const LookbookPlan& lb : plan.lookbooks) {
    for (const Outfit& o : lb.outfits) {
      std::vector<int> ids;
      for (int id : outfit_products(o)) {
        if (!hubs.count(id)) ids.push_back(id);
      }
      for (std::size_t a = 0; a < ids.size(); ++a) {
        for (std::size_t b = a + 1; b < ids.size(); ++b) ++pairs[{ids[a], ids[b]}];
      }
    }
  }
  int n = 0;
  for (const auto& [pair, count] : pairs) n += count >= 2;
  return n;
}

// At the reference scale (44,000 products, 100 lookbooks) independent draws almost never repeat a
// pair; signature looks make pairings recur so co-occurrence can be learnt.
TEST(StyleModelTest, SignatureLooksMakePairingsRecur) {
  const auto products = make_catalog(43670, 330, 12);
  const StyleModel with_looks(products, 12);
  StyleModelParams none;
  none.look_rate = 0.0;
  const StyleModel without(products, 12, none);
  EXPECT_EQ(with_looks.looks(0).size(), 6u);
  const int recurring = recurring_pairs(plan_sample(with_looks, 100, 0, 0.3, 12), with_looks);
  const int baseline = recurring_pairs(plan_sample(without, 100, 0, 0.3, 12), without);
  EXPECT_GT(recurring, 25);
  EXPECT_GT(recurring, 4 * std::max(baseline, 1));
}

TEST(LookbookPlanTest, ExactlyTheRequestedShareShowsTwoOutfits) {
  const auto products = make_catalog(4000, 40, 9);
  const StyleModel model(products, 9);
  const SamplePlan plan = plan_sample(model, 1000, 0, 0.3, 9);
  ASSERT_EQ(plan.lookbooks.size(), 1000u);
  int two = 0;
  for (const LookbookPlan& lb : plan.lookbooks) {
    ASSERT_GE(lb.outfits.size(), 1u);
    ASSERT_LE(lb.outfits.size(), 2u);
    if (lb.outfits.size() == 2) {
      ++two;
      for (const OutfitItem& a : lb.outfits[0].items) {
        for (const OutfitItem& b : lb.outfits[1].items) EXPECT_NE(a.product, b.product);
      }
    }
  }
  EXPECT_EQ(two, 300);
  EXPECT_EQ(plan.lookbooks[7].id, "lb0007");
}

TEST(LookbookPlanTest, HeldOutOutfitsAppearInNoLookbook) {
  const auto products = make_catalog(3000, 40, 10);
  const StyleModel model(products, 10);
  const SamplePlan plan = plan_sample(model, 200, 60, 0.3, 10);
  ASSERT_EQ(plan.held_out.size(), 60u);
  std::vector<std::set<int>> shown;
  for (const LookbookPlan& lb : plan.lookbooks) {
    std::set<int> s;
    for (const Outfit& o : lb.outfits) {
      for (const OutfitItem& it : o.items) s.insert(it.product);
    }
    shown.push_back(std::move(s));
  }
  std::set<std::vector<int>> distinct;
  int reused_products = 0;
  for (const Outfit& o : plan.held_out) {
    const std::vector<int> ids = outfit_products(o);
    EXPECT_GE(ids.size(), 2u);
    EXPECT_TRUE(distinct.insert(ids).second);
    for (const auto& s : shown) {
      EXPECT_FALSE(std::includes(s.begin(), s.end(), ids.begin(), ids.end()))
          << "a held-out outfit is shown in a lookbook";
    }
    // Evaluation needs the held-out items to be known: popular ones recur in lookbooks.
    for (int id : ids) {
      reused_products += std::any_of(shown.begin(), shown.end(), [&](const auto& s) { return s.count(id) > 0; });
    }
  }
  EXPECT_GT(reused_products, 60);
}

TEST(LookbookPlanTest, SameSeedSamePlan) {
  const auto products = make_catalog(2000, 30, 11);
  const StyleModel a(products, 11), b(products, 11);
  const SamplePlan pa = plan_sample(a, 50, 10, 0.3, 11), pb = plan_sample(b, 50, 10, 0.3, 11);
  const SamplePlan pc = plan_sample(a, 50, 10, 0.3, 12);
  auto flat = [](const SamplePlan& p) {
    std::vector<int> v;
    for (const auto& lb : p.lookbooks) {
      for (const auto& o : lb.outfits) {
        for (const auto& it : o.items) v.push_back(it.product);
      }
    }
    for (const auto& o : p.held_out) {
      for (const auto& it : o.items) v.push_back(it.product);
    }
    return v;
  };
  EXPECT_EQ(flat(pa), flat(pb));
  EXPECT_NE(flat(pa), flat(pc));
}

}  // namespace
}  // namespace ensemble::sample
