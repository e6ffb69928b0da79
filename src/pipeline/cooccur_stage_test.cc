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

TEST(CooccurStage, WritesPairsAndSlotsAndIsIncremental) {
  recommend::testing::TestStore ts;
  fill_two_lookbooks(ts);
  config::Config cfg;
  auto r = run_stages(ts.store(), cfg, {"cooccur"});
  ASSERT_EQ(r.stages.size(), 1u);
  EXPECT_EQ(r.stages[0].status, "ok") << r.stages[0].error;
  EXPECT_EQ(r.stages[0].result.input_rows, 6);
  EXPECT_EQ(r.stages[0].result.output_rows, 3);  // T+B, T+S, B+S; never G (other person)
  EXPECT_EQ(query_int(ts.store(), "SELECT count(*) FROM pairs WHERE product_a = 'G' OR product_b = 'G'"), 0);
  EXPECT_EQ(query_int(ts.store(), "SELECT count(*) FROM pairs WHERE run_id = " +
                                  std::to_string(r.stages[0].run_id)), 3);
  EXPECT_GT(query_int(ts.store(), "SELECT count(*) FROM slot_stats"), 0);
  EXPECT_EQ(ts.store().run(r.stages[0].run_id)->backend, "ensemble:cosine");
  EXPECT_EQ(r.stages[0].result.stats["lookbooks"], 2);

  r = run_stages(ts.store(), cfg, {"cooccur"});  // nothing changed
  EXPECT_EQ(r.stages[0].result.skipped_rows, 6);
  EXPECT_EQ(r.stages[0].result.output_rows, 0);

  ts.match(ts.region("L2", 0, 0, 40, 10, 10), "S", 1, 0.9);  // new evidence: rerun
  r = run_stages(ts.store(), cfg, {"cooccur"});
  EXPECT_EQ(r.stages[0].result.skipped_rows, 0);
  EXPECT_EQ(query_int(ts.store(), "SELECT count FROM pairs WHERE product_a = 'B' AND product_b = 'S'"), 2);

  cfg.set_override("cooccur.scoring=reference");  // settings changed: rerun, other rows
  r = run_stages(ts.store(), cfg, {"cooccur"});
  EXPECT_EQ(r.stages[0].status, "ok");
  EXPECT_EQ(query_int(ts.store(), "SELECT count(*) FROM pairs WHERE scoring = 'reference'"), 6);
  EXPECT_EQ(query_int(ts.store(), "SELECT count(*) FROM pairs WHERE scoring = 'ensemble'"), 3);
}

}  // namespace
}  // namespace ensemble::pipeline
