#include "ensemble/recommend/queries.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ensemble/recommend/batch.h"
#include "ensemble/recommend/feedback.h"
#include "ensemble/recommend/recommend_store.h"
#include "ensemble/util/error.h"
#include "recommend/test_store.h"

namespace ensemble::recommend {
namespace {

using nlohmann::json;

FeedbackInput vote(const std::string& a, const std::string& b, int v, const std::string& user = "") {
  FeedbackInput in;
  in.product = a;
  in.other = b;
  in.vote = v;
  in.user = user;
  return in;
}

// T (top) was worn with B (trousers) in two lookbooks and with S (sneakers) in one; N is a top never
// photographed that looks like T; Z has no data at all.
class QueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ts.product("T", "shirt", {{"gender", "women"}});
    ts.product("B", "trousers", {{"gender", "women"}});
    ts.product("S", "sneakers", {{"gender", "unisex"}});
    ts.product("N", "shirt", {{"gender", "women"}});
    ts.product("Z", "kilt");
    ts.lookbook("L1");
    ts.lookbook("L2");
    ts.match(ts.region("L1", 0, 0, 0, 10, 10), "T", 1, 0.9);
    ts.match(ts.region("L1", 0, 0, 20, 10, 10), "B", 1, 0.9);
    ts.match(ts.region("L1", 0, 0, 40, 10, 10), "S", 1, 0.9);
    ts.match(ts.region("L2", 0, 0, 0, 10, 10), "T", 1, 0.9);
    ts.match(ts.region("L2", 0, 0, 20, 10, 10), "B", 1, 0.9);
    ts.vector("T", {1, 0, 0, 0});
    ts.vector("N", {0.99f, std::sqrt(1 - 0.99f * 0.99f), 0, 0});
    ts.vector("B", {0, 1, 0, 0});
    ts.vector("S", {0, 0, 1, 0});
  }
  // As the pipeline runs them: each in a runs row that keeps its stats.
  void run_stages(bool cooccur = true) {
    if (cooccur) {
      const auto id = ts.store().begin_run("cooccur", "", "{}");
      store::RunOutcome o;
      o.stats_json = run_cooccur(ts.db(), cfg, id).stats.dump();
      ts.store().finish_run(id, o);
    }
    const auto id = ts.store().begin_run("recommend", "", "{}");
    store::RunOutcome o;
    o.stats_json = run_recommend(ts.db(), cfg, id, 1).stats.dump();
    ts.store().finish_run(id, o);
  }
  std::int64_t count(const std::string& sql) {
    auto st = ts.db().prepare(sql);
    st.step();
    return st.column_int(0);
  }
  testing::TestStore ts;
  config::Config cfg;
};

TEST_F(QueriesTest, StagesWritePairsSlotsAndLists) {
  const auto co = run_cooccur(ts.db(), cfg, ts.run());
  EXPECT_EQ(co.output_rows, 3);
  EXPECT_EQ(count("SELECT count FROM pairs WHERE product_a = 'B' AND product_b = 'T'"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM pairs WHERE product_a = 'B' AND product_b = 'S'"), 1);
  EXPECT_GT(count("SELECT count(*) FROM slot_stats WHERE scoring = 'ensemble'"), 0);
  const PairTable back = read_pairs(ts.db(), "ensemble", Catalog::load(ts.db(), SlotTable()));
  EXPECT_EQ(back.pairs.size(), 3u);
  const auto re = run_recommend(ts.db(), cfg, ts.run(), 1);
  EXPECT_EQ(re.stats["products_with_recommendations"], 4);  // all but Z
  EXPECT_EQ(count("SELECT count(*) FROM stage_items WHERE stage = 'recommend' AND item_id = 'Z'"
                  " AND status = 'empty'"), 1);
}

TEST_F(QueriesTest, RecommendShapesUnknownAndEmpty) {
  EXPECT_EQ(recommend_query(ts.store(), cfg, "T", 10)["reason"],
            "the recommend stage has not run yet (ensemble run)");
  run_stages();
  const json j = recommend_query(ts.store(), cfg, "T", 10);
  EXPECT_EQ(j["product"], "T");
  ASSERT_EQ(j["recommendations"].size(), 2u);
  const auto& first = j["recommendations"][0];
  EXPECT_EQ(first["product"], "B");
  EXPECT_EQ(first["slot"], "bottom");
  EXPECT_EQ(first["support"], 2);
  EXPECT_EQ(first["evidence"], json({"L1", "L2"}));
  EXPECT_GT(first["score"].get<double>(), 0);
  EXPECT_FALSE(first["reason"].get<std::string>().empty());
  EXPECT_FALSE(j.contains("reason"));
  EXPECT_EQ(recommend_query(ts.store(), cfg, "T", 1)["recommendations"].size(), 1u);

  // Never photographed, but looks like T: T's partners, through T.
  const json n = recommend_query(ts.store(), cfg, "N", 10);
  ASSERT_FALSE(n["recommendations"].empty());
  EXPECT_EQ(n["recommendations"][0]["product"], "B");
  EXPECT_EQ(n["recommendations"][0]["via"], "T");

  const json z = recommend_query(ts.store(), cfg, "Z", 10);
  EXPECT_TRUE(z["recommendations"].empty());
  EXPECT_EQ(z["reason"], "no lookbook evidence and no visual neighbours");
  try {
    recommend_query(ts.store(), cfg, "nope", 10);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
}

TEST_F(QueriesTest, AVoteOnARecommendationWithoutAPairIsAcceptedEitherWayRound) {
  run_stages();
  // N was never photographed: B and S reach its list through its look-alike T, with no pair of
  // their own. Pairs are looked up with the smaller id first: N-B finds N's list as the second
  // product's, N-S as the first's.
  ASSERT_EQ(count("SELECT count(*) FROM pairs WHERE product_a = 'N' OR product_b = 'N'"), 0);
  ASSERT_EQ(count("SELECT count(*) FROM recommendations WHERE product_id = 'N' AND rec_product_id = 'B'"), 1);
  ASSERT_EQ(count("SELECT count(*) FROM recommendations WHERE product_id = 'N' AND rec_product_id = 'S'"), 1);
  EXPECT_GT(record_feedback(ts.db(), vote("N", "B", 1, "cy")), 0);
  EXPECT_GT(record_feedback(ts.db(), vote("B", "N", 1, "dee")), 0);
  EXPECT_GT(record_feedback(ts.db(), vote("S", "N", 1, "cy")), 0);
  EXPECT_THROW(record_feedback(ts.db(), vote("N", "Z", 1)), Error);
}

TEST_F(QueriesTest, FeedbackIsValidatedAndShowsImmediatelyThenInTheNextRun) {
  run_stages();
  auto code = [&](FeedbackInput in) {
    try {
      record_feedback(ts.db(), in);
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::kInternal;  // no error
  };
  EXPECT_EQ(code(vote("T", "Z", 1)), ErrorCode::kBadInput);       // never paired nor recommended
  EXPECT_EQ(code(vote("T", "nope", 1)), ErrorCode::kNotFound);
  EXPECT_EQ(code(vote("T", "B", 0)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(vote("T", "T", 1)), ErrorCode::kInvalidArgument);

  record_feedback(ts.db(), vote("T", "S", -1, "ann"));
  json j = recommend_query(ts.store(), cfg, "T", 10);
  ASSERT_EQ(j["recommendations"].size(), 1u);  // S dropped at once
  EXPECT_EQ(j["recommendations"][0]["product"], "B");

  const double before = j["recommendations"][0]["score"];
  record_feedback(ts.db(), vote("B", "T", 1, "bob"));
  j = recommend_query(ts.store(), cfg, "T", 10);
  EXPECT_NEAR(j["recommendations"][0]["score"].get<double>(), before + 0.25, 1e-9);
  EXPECT_EQ(j["recommendations"][0]["feedback"], 1);

  // The next recommend run bakes the votes in; the query then adds nothing twice.
  run_stages(false);
  const json after = recommend_query(ts.store(), cfg, "T", 10);
  ASSERT_EQ(after["recommendations"].size(), 1u);
  EXPECT_NEAR(after["recommendations"][0]["score"].get<double>(), before + 0.25, 1e-6);
  EXPECT_EQ(count("SELECT count(*) FROM recommendations WHERE product_id = 'T' AND rec_product_id = 'S'"), 0);
}

// Every stored row, in order, as text (to compare two runs' tables).
std::string dump_lists(store::Database& db) {
  std::string out;
  auto st = db.prepare(
      "SELECT product_id, rank, rec_product_id, coalesce(slot, ''), score, evidence"
      " FROM recommendations ORDER BY product_id, rank");
  while (st.step()) {
    for (int c = 0; c < 6; ++c) out += st.column_text(c) + "|";
    out += "\n";
  }
  return out;
}

TEST_F(QueriesTest, RecommendRecomputesOnlyTheListsWhoseInputsChanged) {
  run_cooccur(ts.db(), cfg, ts.run());
  auto first = run_recommend(ts.db(), cfg, ts.run(), 1);
  EXPECT_EQ(first.stats["lists_computed"], 5);
  const std::string lists = dump_lists(ts.db());
  ASSERT_FALSE(lists.empty());

  // Nothing changed: nothing computed or written.
  auto again = run_recommend(ts.db(), cfg, ts.run(), 1);
  EXPECT_EQ(again.stats["lists_computed"], 0);
  EXPECT_EQ(again.stats["lists_rewritten"], 0);
  EXPECT_EQ(again.stats["products_with_recommendations"], 4);
  EXPECT_EQ(dump_lists(ts.db()), lists);

  // A vote on {T, S} changes the inputs of T's and S's lists only.
  record_feedback(ts.db(), vote("T", "S", -1, "ann"));
  auto voted = run_recommend(ts.db(), cfg, ts.run(), 1);
  EXPECT_EQ(voted.stats["lists_computed"], 2);
  EXPECT_EQ(voted.stats["lists_rewritten"], 2);
  EXPECT_EQ(count("SELECT count(*) FROM recommendations WHERE product_id = 'T' AND rec_product_id = 'S'"), 0);
  const std::string incremental = dump_lists(ts.db());
  EXPECT_NE(incremental, lists);
  // The same table as computing every list afresh.
  ts.db().exec("DELETE FROM stage_items WHERE stage = 'recommend' AND item_id = '@list_digests'");
  auto fresh = run_recommend(ts.db(), cfg, ts.run(), 1);
  EXPECT_EQ(fresh.stats["lists_computed"], 5);
  EXPECT_EQ(fresh.stats["lists_rewritten"], 5);
  EXPECT_EQ(dump_lists(ts.db()), incremental);

  // Rows removed behind the job's back: the digests no longer describe the table, so every list is
  // computed and the missing rows come back.
  ts.db().exec("DELETE FROM recommendation_lists WHERE product_id = 'B'");
  auto repaired = run_recommend(ts.db(), cfg, ts.run(), 1);
  EXPECT_EQ(repaired.stats["lists_computed"], 5);
  EXPECT_EQ(dump_lists(ts.db()), incremental);

  // New evidence changes the pairs (and the affinity learnt from them): every list is recomputed,
  // and only lists that came out different are rewritten.
  ts.lookbook("L3");
  ts.match(ts.region("L3", 0, 0, 0, 10, 10), "N", 1, 0.9);
  ts.match(ts.region("L3", 0, 0, 20, 10, 10), "S", 1, 0.9);
  run_cooccur(ts.db(), cfg, ts.run());
  auto added = run_recommend(ts.db(), cfg, ts.run(), 1);
  EXPECT_EQ(added.stats["lists_computed"], 5);
  EXPECT_GT(count("SELECT count(*) FROM recommendations WHERE product_id = 'N' AND rec_product_id = 'S'"), 0);
  const std::string after_added = dump_lists(ts.db());
  ts.db().exec("DELETE FROM stage_items WHERE stage = 'recommend' AND item_id = '@list_digests'");
  run_recommend(ts.db(), cfg, ts.run(), 1);
  EXPECT_EQ(dump_lists(ts.db()), after_added);
}

TEST_F(QueriesTest, OneSeedsSlotModelAgreesWithTheWholeTable) {
  // Before any cooccur run there is no table: both give the hand rules.
  EXPECT_EQ(read_slot_model_for(ts.db(), "ensemble", "top").source("top"), "rules");
  EXPECT_DOUBLE_EQ(read_slot_model_for(ts.db(), "ensemble", "top").probability("top", "shoes"),
                   SlotModel::rules().probability("top", "shoes"));
  run_stages();
  const SlotModel whole = read_slot_model(ts.db(), "ensemble");
  ASSERT_FALSE(whole.seeds().empty());
  for (const auto& seed : canonical_slots()) {
    const SlotModel one = read_slot_model_for(ts.db(), "ensemble", seed);
    EXPECT_EQ(one.source(seed), whole.source(seed)) << seed;
    EXPECT_DOUBLE_EQ(one.support(seed), whole.support(seed)) << seed;
    for (const auto& slot : canonical_slots()) {
      EXPECT_DOUBLE_EQ(one.probability(seed, slot), whole.probability(seed, slot)) << seed << slot;
    }
  }
  // A seed the table does not know: nothing (not the rules).
  EXPECT_EQ(read_slot_model_for(ts.db(), "ensemble", "kilt").source("kilt"), whole.source("kilt"));
}

TEST_F(QueriesTest, CompleteTheLookAndSlots) {
  EXPECT_TRUE(slots_query(ts.store(), cfg).contains("note"));
  run_stages();
  const json s = slots_query(ts.store(), cfg);
  EXPECT_FALSE(s.contains("note"));
  EXPECT_EQ(s["slots"][0]["seed"], "top");
  const json o = complete_query(ts.store(), cfg, "T");
  EXPECT_EQ(o["product"], "T");
  EXPECT_EQ(o["plan"], "rules");  // two outfits are too few to learn from (slot_min_contexts 5)
  ASSERT_EQ(o["outfit"].size(), 3u);
  EXPECT_EQ(o["outfit"][0]["product"], "T");
  EXPECT_EQ(o["outfit"][1]["product"], "B");
  EXPECT_EQ(o["outfit"][1]["slot"], "bottom");
  EXPECT_EQ(o["outfit"][2]["product"], "S");
  EXPECT_EQ(o["outfit"][1]["evidence"], json({"L1", "L2"}));
  EXPECT_THROW(complete_query(ts.store(), cfg, "nope"), Error);
}

}  // namespace
}  // namespace ensemble::recommend
