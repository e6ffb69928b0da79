#include <gtest/gtest.h>

#include "ensemble/pipeline/pipeline.h"
#include "ensemble/recommend/batch.h"
#include "pipeline/pairs_fixture_test.h"
#include "pipeline/stage_util.h"
#include "recommend/test_store.h"
#include "testing/store_query.h"

namespace ensemble::pipeline {
namespace {

using ensemble::testing::query_int;

using testing::fill_two_lookbooks;
using testing::run_stages;

TEST(RecommendStage, WritesListsRerunsOnFeedbackAndIsIncremental) {
  recommend::testing::TestStore ts;
  fill_two_lookbooks(ts);
  config::Config cfg;
  auto r = run_stages(ts.store(), cfg, {"cooccur", "recommend"});
  ASSERT_EQ(r.stages.size(), 2u);
  EXPECT_EQ(r.stages[1].status, "ok") << r.stages[1].error;
  EXPECT_EQ(r.stages[1].result.input_rows, 4);
  const auto rows = query_int(ts.store(), "SELECT count(*) FROM recommendations");
  EXPECT_EQ(r.stages[1].result.output_rows, rows);
  EXPECT_EQ(query_int(ts.store(), "SELECT count(*) FROM recommendations WHERE run_id = " +
                                  std::to_string(r.stages[1].run_id)), rows);
  EXPECT_EQ(query_int(ts.store(), "SELECT count(*) FROM recommendations WHERE product_id = 'T'"), 2);
  // G has no pair and no vectors: an empty list, its reason kept for queries.
  EXPECT_EQ(query_int(ts.store(), "SELECT count(*) FROM stage_items WHERE stage = 'recommend'"
                              " AND item_id = 'G' AND status = 'empty'"), 1);
  EXPECT_EQ(r.stages[1].result.stats["products_with_recommendations"], 3);

  r = run_stages(ts.store(), cfg, {"cooccur", "recommend"});
  EXPECT_EQ(r.stages[1].result.skipped_rows, 4);

  // A thumbs down changes the lists at the next run.
  ts.db().prepare("INSERT INTO feedback (product_id, other_product_id, user, vote, created_at)"
                  " VALUES ('T', 'S', 'ann', -1, 't')").run();
  r = run_stages(ts.store(), cfg, {"recommend"});
  EXPECT_EQ(r.stages[0].result.skipped_rows, 0);
  EXPECT_EQ(query_int(ts.store(), "SELECT count(*) FROM recommendations WHERE product_id = 'T'"
                              " AND rec_product_id = 'S'"), 0);
  EXPECT_EQ(r.stages[0].result.stats["feedback_through"], 1);
}

// What the stages of a run share through the connection's ReadCache (the catalog, here) is gone
// when the run ends: a later run reads the store again, whatever changed in between.
TEST(RecommendStage, ARunLeavesNothingInTheReadCache) {
  recommend::testing::TestStore ts;
  fill_two_lookbooks(ts);
  config::Config cfg;
  const auto r = run_stages(ts.store(), cfg, {"cooccur", "recommend"});
  ASSERT_EQ(r.stages[1].status, "ok") << r.stages[1].error;
  const auto after = recommend::shared_catalog(ts.db(), cfg);  // read now, left in the cache
  EXPECT_EQ(recommend::shared_catalog(ts.db(), cfg), after);
  run_stages(ts.store(), cfg, {"cooccur"});
  EXPECT_NE(recommend::shared_catalog(ts.db(), cfg), after);  // the run cleared it
}

// The stage's fingerprint sees product vectors without reading them: rows added or removed (count,
// largest rowid) and the embed stage's token, which it replaces whenever it rewrites a vector.
TEST(RecommendStage, RerunsWhenProductVectorsChange) {
  recommend::testing::TestStore ts;
  fill_two_lookbooks(ts);
  config::Config cfg;
  auto r = run_stages(ts.store(), cfg, {"cooccur", "recommend"});
  ASSERT_EQ(r.stages[1].status, "ok") << r.stages[1].error;
  const std::string run = std::to_string(r.stages[1].run_id);
  auto skipped = [&] {
    const auto again = run_stages(ts.store(), cfg, {"recommend"});
    EXPECT_EQ(again.stages[0].status, "ok") << again.stages[0].error;
    return again.stages[0].result.skipped_rows == again.stages[0].result.input_rows;
  };
  EXPECT_TRUE(skipped());

  const std::string vector(8, '\0');  // two float zeros
  auto add = ts.db().prepare(
      "INSERT INTO embeddings (owner_kind, owner_id, model_id, dim, vector, source_sha, run_id)"
      " VALUES ('product', 'G', 'm', 2, ?, 'sha', " + run + ")");
  add.bind_blob(1, vector.data(), static_cast<int>(vector.size()));
  add.run();
  EXPECT_FALSE(skipped());  // a row added
  EXPECT_TRUE(skipped());

  // Rewritten in place, as the embed stage does: it replaces its token in the same transaction.
  ts.db().exec("UPDATE embeddings SET source_sha = 'sha2' WHERE owner_id = 'G'");
  set_item_state(ts.db(), "embed", "product-vectors", "token-2", "ok", "", r.stages[1].run_id);
  EXPECT_FALSE(skipped());
  EXPECT_TRUE(skipped());

  ts.db().exec("DELETE FROM embeddings WHERE owner_id = 'G'");
  EXPECT_FALSE(skipped());  // a row removed
}

}  // namespace
}  // namespace ensemble::pipeline
