#include "ensemble/recommend/evidence.h"

#include "ensemble/recommend/batch.h"

#include <gtest/gtest.h>

#include "recommend/test_store.h"

namespace ensemble::recommend {
namespace {

// The cooccur stage reads the product_to_region half of the matches only when it discounts
// non-mutual matches; the candidates are the same either way.
TEST(MatchEvidence, LoadsMutualMatchesOnlyWhenAsked) {
  testing::TestStore ts;
  for (const char* id : {"a", "b"}) ts.product(id, "top");
  ts.lookbook("lb");
  const std::int64_t r = ts.region("lb", 0, 0, 0, 10, 10);
  ts.match(r, "a", 1, 0.9);
  ts.match(r, "b", 2, 0.8);
  ts.match(r, "b", 1, 0.8, "product_to_region");
  const Catalog catalog = Catalog::load(ts.db(), SlotTable());
  const MatchEvidence with = MatchEvidence::load(ts.db(), catalog);
  const MatchEvidence without = MatchEvidence::load(ts.db(), catalog, false);
  ASSERT_TRUE(with.has_mutual());
  EXPECT_TRUE(with.mutual(catalog.find("b"), 0));
  EXPECT_FALSE(with.mutual(catalog.find("a"), 0));
  EXPECT_FALSE(without.has_mutual());
  ASSERT_EQ(with.candidates.size(), 1u);
  ASSERT_EQ(without.candidates.size(), with.candidates.size());
  ASSERT_EQ(without.candidates[0].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(without.candidates[0][i].product, with.candidates[0][i].product);
    EXPECT_EQ(without.candidates[0][i].score, with.candidates[0][i].score);
  }
  EXPECT_EQ(with.candidates[0][0].product, catalog.find("a"));
}

// The cooccur and recommend stages of one run share one catalog; any change an import makes to
// the products (a new product, an updated one) gives another key and a fresh read.
TEST(SharedCatalog, IsReadOnceUntilTheProductsChange) {
  testing::TestStore ts;
  for (const char* id : {"a", "b"}) ts.product(id, "top");
  config::Config config;
  const auto first = shared_catalog(ts.db(), config);
  ASSERT_EQ(first->size(), 2);
  EXPECT_EQ(shared_catalog(ts.db(), config), first);

  ts.product("c", "shoes");
  const auto added = shared_catalog(ts.db(), config);
  EXPECT_NE(added, first);
  EXPECT_EQ(added->size(), 3);

  ts.db().exec("UPDATE products SET category = 'bag', updated_at = 'u' WHERE id = 'a'");
  const auto updated = shared_catalog(ts.db(), config);
  EXPECT_NE(updated, added);
  EXPECT_EQ((*updated)[updated->find("a")].category, "bag");

  config::Config other;
  other.set("cooccur.slot_map", std::vector<std::string>{"bag=accessory"});
  EXPECT_NE(shared_catalog(ts.db(), other), updated);  // another slot table
}

}  // namespace
}  // namespace ensemble::recommend
