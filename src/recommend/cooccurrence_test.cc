#include "ensemble/recommend/cooccurrence.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ensemble/util/error.h"

namespace ensemble::recommend {
namespace {

TEST(Association, HandComputedScores) {
  // co = 2, na = 4, nb = 2, n = 10.
  EXPECT_NEAR(association_score(Association::kCosine, 2, 4, 2, 10), 2 / std::sqrt(8.0), 1e-12);
  EXPECT_NEAR(association_score(Association::kNpmi, 2, 4, 2, 10), 0.569323441926607, 1e-12);
  EXPECT_NEAR(association_score(Association::kObsExp, 2, 4, 2, 10), 1.3416407864998738, 1e-12);
  EXPECT_NEAR(association_score(Association::kLift, 2, 4, 2, 10), 2.5, 1e-12);
  EXPECT_NEAR(association_score(Association::kCount, 2, 4, 2, 10), 2.0, 1e-12);
  // Independence: NPMI 0, observed = expected.
  EXPECT_NEAR(association_score(Association::kNpmi, 2, 4, 5, 10), 0.0, 1e-12);
  EXPECT_NEAR(association_score(Association::kObsExp, 2, 4, 5, 10), 0.0, 1e-12);
  // Always together in every transaction: NPMI 1.
  EXPECT_DOUBLE_EQ(association_score(Association::kNpmi, 10, 10, 10, 10), 1.0);
}

TEST(Association, HubsScoreBelowExclusivePartners) {
  // A product seen once, with a partner seen once and with a hub seen in 15 of 100 lookbooks.
  for (auto a : {Association::kCosine, Association::kNpmi, Association::kObsExp, Association::kLift}) {
    EXPECT_GT(association_score(a, 1, 1, 1, 100), association_score(a, 1, 1, 15, 100)) << to_string(a);
  }
  // Raw counts cannot tell them apart.
  EXPECT_EQ(association_score(Association::kCount, 1, 1, 1, 100),
            association_score(Association::kCount, 1, 1, 15, 100));
}

TEST(Association, NamesRoundTrip) {
  for (const char* n : {"cosine", "npmi", "obs_exp", "lift", "count"}) {
    EXPECT_EQ(to_string(association_from_string(n)), n);
  }
  EXPECT_THROW(association_from_string("jaccard?"), Error);
}

TEST(OutlierRule, SeventyFifthPercentilePlusTwoStd) {
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4, 100}, 0.75), 4.0);
  EXPECT_DOUBLE_EQ(percentile({1, 2}, 0.5), 1.5);
  double cut = 0;
  const auto out = outlier_indices({1, 2, 3, 4, 100}, 0.75, 2.0, &cut);
  EXPECT_NEAR(cut, 82.02563681252464, 1e-9);  // 4 + 2 * 39.0128 (population std)
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], 4);
  EXPECT_TRUE(outlier_indices({5, 5, 5, 5}, 0.75, 2.0).empty());
}

TEST(Otsu, SplitsTwoGroups) {
  std::vector<double> v;
  for (int i = 0; i < 50; ++i) v.push_back(0.2 + 0.001 * i);
  for (int i = 0; i < 10; ++i) v.push_back(0.8 + 0.001 * i);
  const double t = otsu_threshold(v);
  EXPECT_GT(t, 0.25);
  EXPECT_LE(t, 0.8);
}

class PairsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& [id, cat] : std::vector<std::pair<std::string, std::string>>{
             {"t1", "t-shirt"}, {"t2", "shirt"}, {"b1", "trousers"}, {"s1", "sneakers"}}) {
      Product p;
      p.id = id;
      p.category = cat;
      ix[id] = catalog.add(p);
    }
    // Lookbook L1: one person (context 0) wears a top (t1 or its look-alike t2) and trousers; a
    // second person (context 1) wears sneakers.
    const auto l1 = ev.add_lookbook("L1");
    ev.add_region({1, l1, 0, 0, 0, 10, 10}, {{ix["t1"], 0.90f}, {ix["t2"], 0.88f}});
    ev.add_region({2, l1, 0, 0, 20, 10, 10}, {{ix["b1"], 0.90f}});
    ev.add_region({3, l1, 1, 50, 0, 10, 10}, {{ix["s1"], 0.90f}});
    // Lookbook L2: t1 and b1 again, shown twice (two contexts, both with the pair), and s1 on a
    // region that is the same garment as t1's (identical box).
    const auto l2 = ev.add_lookbook("L2");
    ev.add_region({4, l2, 0, 0, 0, 10, 10}, {{ix["t1"], 0.90f}});
    ev.add_region({5, l2, 0, 0, 20, 10, 10}, {{ix["b1"], 0.90f}});
    ev.add_region({6, l2, 0, 0, 0, 10, 10}, {{ix["s1"], 0.90f}});
    ev.add_region({7, l2, 1, 50, 0, 10, 10}, {{ix["t1"], 0.90f}});
    ev.add_region({8, l2, 1, 50, 20, 10, 10}, {{ix["b1"], 0.90f}});
  }
  const Pair* find(const PairTable& t, const std::string& a, const std::string& b) {
    const auto x = std::min(ix[a], ix[b]), y = std::max(ix[a], ix[b]);
    for (const auto& p : t.pairs) {
      if (p.a == x && p.b == y) return &p;
    }
    return nullptr;
  }
  Catalog catalog;
  MatchEvidence ev;
  std::map<std::string, std::int32_t> ix;
};

TEST_F(PairsTest, ConfidenceIsASoftmaxOfTheRegionsScores) {
  PairOptions o;
  const auto a = assign_region(ev, 0, o);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].product, ix["t1"]);
  EXPECT_NEAR(a[0].weight, 0.7310585786300049, 1e-6);  // 1 / (1 + e^-1), temperature 0.02
  EXPECT_NEAR(a[1].weight, 0.2689414213699951, 1e-6);
  // Once product_to_region rows exist, a match that is not mutual is discounted (when enabled).
  o.mutual_factor = 0.3;
  ev.add_mutual(ix["t1"], 0);
  const auto m = assign_region(ev, 0, o);
  EXPECT_NEAR(m[0].weight, 0.7310585786300049, 1e-6);
  EXPECT_NEAR(m[1].weight, 0.2689414213699951 * 0.3, 1e-6);
  // Below min_weight: dropped.
  o.min_weight = 0.1;
  EXPECT_EQ(assign_region(ev, 0, o).size(), 1u);
}

TEST_F(PairsTest, EnsemblePairsOnlyDifferentRegionsOfOneOutfit) {
  PairOptions o;
  const PairTable t = generate_pairs(catalog, ev, o);
  EXPECT_EQ(t.scoring, "ensemble");
  EXPECT_EQ(t.lookbooks, 2);
  const Pair* tb = find(t, "t1", "b1");
  ASSERT_NE(tb, nullptr);
  EXPECT_EQ(tb->count, 2);  // two lookbooks; L2's two contexts count once
  EXPECT_NEAR(tb->weight, 0.7310585786300049 + 1.0, 1e-5);
  // cosine: w / sqrt(n_t1 * n_b1) = 1.731 / sqrt(1.731 * 2), times shrinkage w / (w + 0.5).
  EXPECT_NEAR(tb->score, 0.7218412156161154, 1e-5);
  EXPECT_EQ(t.lookbook_ids[static_cast<size_t>(t.lookbooks_of(*tb)[0])], "L1");
  const Pair* t2b = find(t, "t2", "b1");
  ASSERT_NE(t2b, nullptr);
  EXPECT_NEAR(t2b->weight, 0.2689414213699951, 1e-5);
  EXPECT_LT(t2b->score, tb->score);
  EXPECT_EQ(find(t, "t1", "t2"), nullptr);  // substitutes on one region, and one slot
  EXPECT_EQ(find(t, "t1", "s1"), nullptr);  // other person in L1, same garment box in L2
  ASSERT_NE(find(t, "b1", "s1"), nullptr);   // L2 only: in L1 s1 is worn by the other person
  EXPECT_EQ(find(t, "b1", "s1")->count, 1);
  EXPECT_EQ(t.pairs.size(), 3u);
  EXPECT_EQ(t.contexts.size(), 4u);
}

TEST_F(PairsTest, LayeringRuleAllowsOneSlotPairs) {
  PairOptions o;
  o.layering = {{"shirt", "t-shirt"}};
  ev.add_region({9, 1, 0, 0, 40, 10, 10}, {{ix["t2"], 0.90f}});  // t2 on its own region in L2
  const PairTable t = generate_pairs(catalog, ev, o);
  EXPECT_NE(find(t, "t1", "t2"), nullptr);
}

TEST_F(PairsTest, ReferencePairsEverythingInTheImage) {
  PairOptions o;
  o.reference = true;
  o.outlier_std = 100;  // no cut here
  const PairTable t = generate_pairs(catalog, ev, o);
  EXPECT_EQ(t.scoring, "reference");
  // L1 shows {t1, t2, b1, s1}: 6 pairs; L2 adds nothing new.
  EXPECT_EQ(t.pairs.size(), 6u);
  EXPECT_EQ(find(t, "t1", "b1")->count, 2);
  EXPECT_EQ(find(t, "t1", "b1")->score, 2.0f);
  EXPECT_EQ(find(t, "t1", "t2")->count, 1);
  EXPECT_EQ(find(t, "t1", "s1")->count, 2);
}

TEST(ReferencePairs, OutlierCutDropsTheHub) {
  Catalog catalog;
  MatchEvidence ev;
  Product hub;
  hub.id = "hub";
  hub.category = "watch";
  const auto h = catalog.add(hub);
  // 10 lookbooks, each with the hub and its own two products.
  for (int l = 0; l < 10; ++l) {
    const auto lb = ev.add_lookbook(std::to_string(l));
    std::vector<Candidate> c = {{h, 0.9f}};
    for (int j = 0; j < 2; ++j) {
      static const std::string kCategories[2] = {"shirt", "trousers"};
      Product p;
      p.id = std::to_string(100 + l * 2 + j);
      p.category = kCategories[j];
      c.push_back({catalog.add(p), 0.8f});
    }
    ev.add_region({l, lb, 0, 0, 0, 10, 10}, c);
  }
  PairOptions o;
  o.reference = true;
  const PairTable t = generate_pairs(catalog, ev, o);
  // Totals: hub 20, others 2 each -> p75 = 2, std ~ 3.8: the hub is cut with its 20 pairs.
  ASSERT_EQ(t.outliers.size(), 1u);
  EXPECT_EQ(t.outliers[0], h);
  EXPECT_EQ(t.pairs.size(), 10u);
  for (const auto& p : t.pairs) EXPECT_NE(p.a, h);
}

TEST(PairLists, ParseAndOrder) {
  const auto s = parse_pair_list({"Top|Dress", "bottom | dress"}, "k");
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s.count({"dress", "top"}), 1u);
  EXPECT_EQ(s.count({"bottom", "dress"}), 1u);
  EXPECT_THROW(parse_pair_list({"nobar"}, "k"), Error);
}

}  // namespace
}  // namespace ensemble::recommend
