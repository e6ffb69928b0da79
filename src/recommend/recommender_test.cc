#include "ensemble/recommend/recommender.h"

#include <gtest/gtest.h>

#include "ensemble/recommend/affinity.h"

namespace ensemble::recommend {
namespace {

// A hand-made world: a top T seen with trousers B and shoes S (strong), with a hub watch H (weak);
// T2 is a top never seen in a lookbook that looks like T; X is a men's bottom paired with T.
class RecommenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto add = [&](const std::string& id, const std::string& cat, const std::string& gender,
                   const std::string& style = "office") {
      Product p;
      p.id = id;
      p.category = cat;
      p.attributes = {{"gender", gender}, {"style", style}};
      ix[id] = catalog.add(p);
    };
    add("T", "shirt", "women");
    add("B", "trousers", "women");
    add("S", "sneakers", "unisex");
    add("H", "watch", "unisex", "any");
    add("X", "trousers", "men");
    add("T2", "shirt", "women");
    add("B2", "trousers", "women", "grunge");
    pairs.scoring = "ensemble";
    pairs.lookbook_ids = {"L1", "L2", "L3"};
    pair("T", "B", 2, 0.9f, {0, 1});
    pair("T", "S", 1, 0.6f, {0});
    pair("T", "H", 1, 0.2f, {0});
    pair("T", "X", 1, 0.95f, {2});
    pair("B", "S", 1, 0.5f, {0});
    std::sort(pairs.pairs.begin(), pairs.pairs.end(),
              [](const Pair& a, const Pair& b) { return a.a != b.a ? a.a < b.a : a.b < b.b; });
    neighbours.set(ix["T2"], {{ix["T"], 1.0f, 0.95f}});
    rules.exclusive_slots = {{"dress", "top"}};
  }
  void pair(const std::string& a, const std::string& b, int count, float score,
            std::vector<std::int32_t> lbs) {
    Pair p;
    p.a = std::min(ix[a], ix[b]);
    p.b = std::max(ix[a], ix[b]);
    p.count = count;
    p.weight = static_cast<float>(count);
    p.score = score;
    p.evidence_begin = static_cast<std::uint32_t>(pairs.evidence.size());
    pairs.evidence.insert(pairs.evidence.end(), lbs.begin(), lbs.end());
    pairs.pairs.push_back(p);
  }
  Recommender make(FeedbackTable fb = {}, RecommendOptions o = RecommendOptions()) {
    return Recommender(catalog, pairs, neighbours, AttributeAffinity(), SlotModel::rules(), rules,
                       std::move(fb), o);
  }
  std::vector<std::string> ids(const std::vector<Recommendation>& l) {
    std::vector<std::string> out;
    for (const auto& r : l) out.push_back(catalog[r.product].id);
    return out;
  }
  Catalog catalog;
  PairTable pairs;
  NeighbourGraph neighbours;
  MerchRules rules;
  std::map<std::string, std::int32_t> ix;
};

TEST_F(RecommenderTest, RanksOwnPairsByScoreAndAppliesRules) {
  const auto rec = make();
  const auto l = rec.recommend(ix["T"], 10);
  // X (men's) is filtered.
  EXPECT_EQ(ids(l), (std::vector<std::string>{"B", "S", "H"}));
  EXPECT_EQ(l[0].source, "pairs");
  EXPECT_EQ(l[0].support, 2);
  EXPECT_EQ(l[0].lookbooks, (std::vector<std::int32_t>{0, 1}));
  EXPECT_EQ(l[0].slot, "bottom");
  EXPECT_NE(l[0].reason.find("seen together in 2 lookbooks"), std::string::npos) << l[0].reason;
  EXPECT_NE(l[0].reason.find("bottom completes a top in 95% of outfits (rule of thumb)"),
            std::string::npos) << l[0].reason;
  EXPECT_EQ(rec.recommend(ix["T"], 1).size(), 1u);
}

TEST_F(RecommenderTest, SlotRoundsPutOneItemPerSlotFirst) {
  pair("T", "B2", 1, 0.85f, {2});  // a second bottom, scored above the shoes
  rules.match_gender = false;
  std::sort(pairs.pairs.begin(), pairs.pairs.end(),
            [](const Pair& a, const Pair& b) { return a.a != b.a ? a.a < b.a : a.b < b.b; });
  EXPECT_EQ(ids(make().recommend(ix["T"], 10)),
            (std::vector<std::string>{"X", "B", "B2", "S", "H"}));
  RecommendOptions o;
  o.slot_rounds = true;
  EXPECT_EQ(ids(make({}, o).recommend(ix["T"], 10)),
            (std::vector<std::string>{"X", "S", "H", "B", "B2"}));
}

TEST_F(RecommenderTest, AProductNeverSeenBorrowsItsNeighboursPairs) {
  const auto rec = make();
  EXPECT_FALSE(rec.has_evidence(ix["T2"]));
  const auto l = rec.recommend(ix["T2"], 10);
  EXPECT_EQ(ids(l), (std::vector<std::string>{"B", "S", "H"}));
  EXPECT_EQ(l[0].source, "neighbours");
  EXPECT_EQ(l[0].via, ix["T"]);
  EXPECT_NEAR(l[0].score, 0.5 * 0.9, 1e-6);  // neighbour_weight * (1.0 * 0.9) / 1.0
  EXPECT_NE(l[0].reason.find("looks like T"), std::string::npos);
  // No neighbours, no pairs: empty with a reason.
  EXPECT_TRUE(rec.recommend(ix["B2"], 10).empty());
  EXPECT_EQ(rec.empty_reason(ix["B2"]), "no lookbook evidence and no visual neighbours");
}

TEST_F(RecommenderTest, FeedbackBoostsDropsAndAdds) {
  FeedbackTable fb;
  fb.add(ix["T"], ix["H"], "ann", 1);
  fb.add(ix["T"], ix["H"], "bob", 1);
  fb.add(ix["T"], ix["S"], "ann", -1);
  fb.add(ix["T"], ix["B2"], "ann", 1);  // never seen together: added by the vote
  RecommendOptions o;
  o.slot_rounds = false;
  const auto rec = make(fb, o);
  const auto l = rec.recommend(ix["T"], 10);
  EXPECT_EQ(ids(l), (std::vector<std::string>{"B", "H", "B2"}));  // S dropped
  EXPECT_NEAR(l[1].score, 0.2 + 2 * 0.25, 1e-6);  // H: 0.2 before the votes, below S
  EXPECT_EQ(l[1].feedback, 2);
  EXPECT_EQ(l[2].source, "feedback");
  EXPECT_NE(l[1].reason.find("2 thumbs up"), std::string::npos);
  // A user changing their mind replaces their vote.
  fb.add(ix["T"], ix["S"], "ann", 1);
  EXPECT_EQ(fb.net(ix["S"], ix["T"]), 1);
  EXPECT_NEAR(rec.compat(ix["T"], ix["H"]), 0.2 + 0.5, 1e-6);
}

TEST_F(RecommenderTest, CompatIsSymmetricAndSmoothed) {
  const auto rec = make();
  EXPECT_DOUBLE_EQ(rec.compat(ix["T"], ix["B"]), rec.compat(ix["B"], ix["T"]));
  // T2 -> B only through T: one-sided term 0.9 on T2's side, averaged over the two sides.
  EXPECT_NEAR(rec.compat(ix["T2"], ix["B"]), 0.5 * 0.5 * (0.9 + 0.0), 1e-6);
  EXPECT_EQ(rec.compat(ix["B2"], ix["S"]), 0.0);
}

TEST_F(RecommenderTest, ReferenceModeIsRawCounts) {
  pairs.pairs.clear();
  pairs.evidence.clear();
  pair("T", "B", 3, 3.0f, {0, 1, 2});
  pair("T", "X", 5, 5.0f, {0, 1, 2, 0, 1});
  pair("T", "S", 3, 3.0f, {0, 1, 2});
  std::sort(pairs.pairs.begin(), pairs.pairs.end(),
            [](const Pair& a, const Pair& b) { return a.a != b.a ? a.a < b.a : a.b < b.b; });
  RecommendOptions o;
  o.reference = true;
  const auto rec = make({}, o);
  // No rules, no smoothing: by count, ties by catalog order.
  EXPECT_EQ(ids(rec.recommend(ix["T"], 10)), (std::vector<std::string>{"X", "B", "S"}));
  EXPECT_TRUE(rec.recommend(ix["T2"], 10).empty());
}

TEST_F(RecommenderTest, Deterministic) {
  const auto a = make().recommend(ix["T"], 10);
  const auto b = make().recommend(ix["T"], 10);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].product, b[i].product);
    EXPECT_EQ(a[i].score, b[i].score);
    EXPECT_EQ(a[i].reason, b[i].reason);
  }
}

TEST(Affinity, LearntFromPairWeights) {
  Catalog c;
  auto add = [&](const std::string& id, const std::string& style) {
    Product p;
    p.id = id;
    p.category = std::string("shirt");
    p.attributes = {{"style", style}};
    return c.add(p);
  };
  const auto a1 = add("a1", "boho"), a2 = add("a2", "boho"), b1 = add("b1", "office"),
             b2 = add("b2", "office"), n = add("n", "");
  PairTable t;
  auto pair = [&](std::int32_t x, std::int32_t y) {
    Pair p;
    p.a = std::min(x, y);
    p.b = std::max(x, y);
    p.count = 1;
    p.weight = 1;
    t.pairs.push_back(p);
  };
  pair(a1, a2);
  pair(b1, b2);
  pair(a1, b1);
  const auto aff = AttributeAffinity::learn(c, t, {"style"});
  // Ordered cells: (boho,boho) = 2, (office,office) = 2, (boho,office) = (office,boho) = 1;
  // total 6, marginals 3 and 3. NPMI(boho,boho) = log(2*6/9) / -log(2/6) = 0.26186, shrunk by
  // the pair weight behind the cell, 1 / (1 + 1).
  EXPECT_NEAR(aff.value_affinity("style", "boho", "boho"), 0.2618595071429148 * 0.5, 1e-9);
  EXPECT_EQ(aff.value_affinity("style", "boho", "office"), 0.0);  // NPMI < 0 -> 0
  EXPECT_NEAR(aff.score(c[a1], c[a2]), aff.value_affinity("style", "boho", "boho"), 1e-12);
  EXPECT_EQ(aff.score(c[a1], c[n]), 0.0);  // missing attribute: nothing known
}

}  // namespace
}  // namespace ensemble::recommend
