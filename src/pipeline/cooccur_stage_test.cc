#include <gtest/gtest.h>

#include "ensemble/pipeline/pipeline.h"
#include "recommend/test_store.h"
#include "testing/store_query.h"

namespace ensemble::pipeline {
namespace {

using ensemble::testing::query_int;

// Two lookbooks: a shirt worn with trousers (both), sneakers in the first; a second person in the
// first lookbook wears a bag.
void fill(recommend::testing::TestStore& ts) {
  ts.product("T", "shirt");
  ts.product("B", "trousers");
  ts.product("S", "sneakers");
  ts.product("G", "bag");
  ts.lookbook("L1");
  ts.lookbook("L2");
  ts.match(ts.region("L1", 0, 0, 0, 10, 10), "T", 1, 0.9);
  ts.match(ts.region("L1", 0, 0, 20, 10, 10), "B", 1, 0.9);
  ts.match(ts.region("L1", 0, 0, 40, 10, 10), "S", 1, 0.9);
  ts.match(ts.region("L1", 1, 50, 20, 10, 10), "G", 1, 0.9);
  ts.match(ts.region("L2", 0, 0, 0, 10, 10), "T", 1, 0.9);
  ts.match(ts.region("L2", 0, 0, 20, 10, 10), "B", 1, 0.9);
}

PipelineReport run(store::Store& s, const config::Config& cfg, std::vector<std::string> stages) {
  PipelineOptions o;
  o.stages = std::move(stages);
  o.quiet = true;
  return run_pipeline(s, cfg, o);
}

TEST(CooccurStage, WritesPairsAndSlotsAndIsIncremental) {
  recommend::testing::TestStore ts;
  fill(ts);
  config::Config cfg;
  auto r = run(ts.store(), cfg, {"cooccur"});
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

  r = run(ts.store(), cfg, {"cooccur"});  // nothing changed
  EXPECT_EQ(r.stages[0].result.skipped_rows, 6);
  EXPECT_EQ(r.stages[0].result.output_rows, 0);

  ts.match(ts.region("L2", 0, 0, 40, 10, 10), "S", 1, 0.9);  // new evidence: rerun
  r = run(ts.store(), cfg, {"cooccur"});
  EXPECT_EQ(r.stages[0].result.skipped_rows, 0);
  EXPECT_EQ(query_int(ts.store(), "SELECT count FROM pairs WHERE product_a = 'B' AND product_b = 'S'"), 2);

  cfg.set_override("cooccur.scoring=reference");  // settings changed: rerun, other rows
  r = run(ts.store(), cfg, {"cooccur"});
  EXPECT_EQ(r.stages[0].status, "ok");
  EXPECT_EQ(query_int(ts.store(), "SELECT count(*) FROM pairs WHERE scoring = 'reference'"), 6);
  EXPECT_EQ(query_int(ts.store(), "SELECT count(*) FROM pairs WHERE scoring = 'ensemble'"), 3);
}

}  // namespace
}  // namespace ensemble::pipeline
