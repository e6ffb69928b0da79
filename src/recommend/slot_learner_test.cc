#include "ensemble/recommend/slot_learner.h"

#include <gtest/gtest.h>

#include "ensemble/recommend/slots.h"
#include "ensemble/util/error.h"

namespace ensemble::recommend {
namespace {

TEST(SlotTable, BuiltInOverridesAndUnknown) {
  const SlotTable t;
  EXPECT_EQ(t.slot_of("T-Shirt"), "top");
  EXPECT_EQ(t.slot_of("ankle boots"), "shoes");
  EXPECT_EQ(t.slot_of("watch"), "accessory");
  EXPECT_EQ(t.slot_of("kilt"), "kilt");  // unknown: its own slot
  const SlotTable o = SlotTable::with_overrides({"kilt=bottom", "watch = jewellery"});
  EXPECT_EQ(o.slot_of("kilt"), "bottom");
  EXPECT_EQ(o.slot_of("watch"), "jewellery");
  EXPECT_THROW(SlotTable::with_overrides({"kilt"}), Error);
  EXPECT_LT(slot_order("top"), slot_order("shoes"));
  EXPECT_GT(slot_order("kilt"), slot_order("accessory"));
}

TEST(SlotLearner, ConditionalProbabilitiesFromContexts) {
  const std::vector<std::map<std::string, double>> contexts = {
      {{"top", 1}, {"bottom", 1}, {"shoes", 1}},
      {{"top", 1}, {"bottom", 1}},
      {{"top", 1}, {"bottom", 0.5}, {"shoes", 1}},
      {{"dress", 1}, {"shoes", 1}},
      {{"shoes", 1}},  // one slot: ignored
  };
  const SlotModel m = SlotModel::learn(contexts, 2.0);
  EXPECT_EQ(m.source("top"), "learned");
  EXPECT_DOUBLE_EQ(m.support("top"), 3.0);
  EXPECT_NEAR(m.probability("top", "bottom"), 2.5 / 3, 1e-12);
  EXPECT_NEAR(m.probability("top", "shoes"), 2.0 / 3, 1e-12);
  EXPECT_EQ(m.completions("top").front().slot, "bottom");  // most probable first
  EXPECT_EQ(m.source("shoes"), "learned");
  EXPECT_NEAR(m.probability("shoes", "top"), 2.0 / 3, 1e-12);
  EXPECT_NEAR(m.probability("shoes", "bottom"), 1.5 / 3, 1e-12);
  EXPECT_NEAR(m.probability("shoes", "dress"), 1.0 / 3, 1e-12);
  // Dress was seen once: below min_support, the hand rules stand in and say so.
  EXPECT_EQ(m.source("dress"), "rules");
  EXPECT_DOUBLE_EQ(m.support("dress"), 1.0);
  EXPECT_EQ(m.probability("dress", "shoes"), SlotModel::rules().probability("dress", "shoes"));
  // Seeds never seen keep the rules.
  EXPECT_EQ(m.source("bag"), "rules");
}

TEST(SlotLearner, RowsRoundTrip) {
  const SlotModel m = SlotModel::learn({{{"top", 1}, {"bottom", 1}}, {{"top", 1}, {"bottom", 1}}}, 1);
  const SlotModel back = SlotModel::from_rows(m.rows());
  EXPECT_EQ(back.seeds(), m.seeds());
  EXPECT_EQ(back.source("top"), "learned");
  EXPECT_DOUBLE_EQ(back.probability("top", "bottom"), 1.0);
  EXPECT_EQ(back.source("dress"), "rules");
}

}  // namespace
}  // namespace ensemble::recommend
