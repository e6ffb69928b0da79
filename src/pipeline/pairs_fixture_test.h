// Test support shared by the cooccur and recommend stage tests: a tiny matched store and a runner.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ensemble/pipeline/pipeline.h"
#include "recommend/test_store.h"

namespace ensemble::pipeline::testing {

// Two lookbooks: a shirt worn with trousers (both), sneakers in the first; a second person in the
// first lookbook wears a bag.
inline void fill_two_lookbooks(recommend::testing::TestStore& ts) {
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

// Runs the named stages quietly.
inline PipelineReport run_stages(store::Store& s, const config::Config& cfg,
                                 std::vector<std::string> stages) {
  PipelineOptions o;
  o.stages = std::move(stages);
  o.quiet = true;
  return run_pipeline(s, cfg, o);
}

}  // namespace ensemble::pipeline::testing
