// The batch jobs behind the `cooccur` and `recommend` pipeline stages, as library calls so the
// evaluation (bench/recommend_eval.cc) measures exactly what the stages run. Each reads the store,
// computes, and writes its tables in one transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ensemble/config/config.h"
#include "ensemble/recommend/cooccurrence.h"
#include "ensemble/recommend/evidence.h"
#include "ensemble/recommend/recommender.h"
#include "ensemble/store/database.h"

namespace ensemble::recommend {

struct BatchReport {
  std::int64_t input_rows = 0;
  std::int64_t output_rows = 0;
  nlohmann::json stats = nlohmann::json::object();
};

// The catalog under the slot table of cooccur.slot_map, as the cooccur and recommend stages read
// it: taken from the connection's ReadCache when an entry there has the same slot overrides and
// the products' count, largest rowid and latest updated_at (an import sets it on every change),
// else read and left there. The pipeline clears the cache at the start and end of each run, and
// no stage changes products.
std::shared_ptr<const Catalog> shared_catalog(store::Database& db, const config::Config& config);

// cooccur: catalog + regions + matches -> pairs (of cooccur.scoring) and slot_stats.
BatchReport run_cooccur(store::Database& db, const config::Config& config, std::int64_t run_id);

// Everything a Recommender needs, loaded from the store (pairs of cooccur.scoring, product
// vectors and their neighbour graph, attribute affinity, slot table, rules, all feedback).
struct LoadedRecommender {
  // Shared with the cooccur stage of the same pipeline run when it left the catalog in the
  // connection's ReadCache (shared_catalog).
  std::shared_ptr<const Catalog> catalog;
  PairTable pairs;
  std::string vectors_model;  // embedder id of the product vectors used for neighbours
  std::int64_t vectors = 0;
  std::unique_ptr<Recommender> model;
  std::int64_t feedback_through = 0;  // the newest feedback id applied
  double seconds_neighbours = 0;
};
// threads: 0 = all cores. with_reasons: whether recommend() fills Recommendation::reason.
std::unique_ptr<LoadedRecommender> load_recommender(store::Database& db, const config::Config& config,
                                                    int threads, bool with_reasons = true);

// recommend: every product's list (recommend.per_product) as one row of `recommendation_lists`
// with its evidence (the reason text is rebuilt from it by the queries); products left empty get a
// stage_items row (stage 'recommend', status 'empty', the reason as detail). A list is computed
// only when its inputs changed since it was stored, and rewritten only when it came out different:
// per product, a digest of its inputs (its pairs, its visual neighbours and their pairs, its
// feedback, the products involved, and the run-wide settings, vectors model and pairs behind the
// attribute affinity) and of its stored text, kept in the stage_items row ('recommend',
// '@list_digests').
// So a vote recomputes the voted product's list; new lookbooks, whose pairs change the affinity,
// recompute them all. stats: lists_computed, lists_rewritten.
BatchReport run_recommend(store::Database& db, const config::Config& config, std::int64_t run_id,
                          int threads);

}  // namespace ensemble::recommend
