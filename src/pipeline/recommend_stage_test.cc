#include <gtest/gtest.h>

#include "ensemble/pipeline/pipeline.h"
#include "pipeline/pairs_fixture_test.h"
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

}  // namespace
}  // namespace ensemble::pipeline
