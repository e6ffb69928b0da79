#include "ensemble/recommend/batch.h"

#include "ensemble/util/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "ensemble/recommend/affinity.h"
#include "ensemble/recommend/queries.h"
#include "ensemble/recommend/recommend_store.h"
#include "ensemble/recommend/slot_learner.h"
#include "ensemble/store/store.h"

namespace ensemble::recommend {

namespace {
double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

BatchReport run_cooccur(store::Database& db, const config::Config& config, std::int64_t run_id) {
  BatchReport report;
  const auto t0 = std::chrono::steady_clock::now();
  const Catalog catalog = Catalog::load(db, SlotTable::with_overrides(config.get_list("cooccur.slot_map")));
  const MatchEvidence evidence = MatchEvidence::load(db, catalog);
  report.input_rows = static_cast<std::int64_t>(evidence.regions.size());
  const double load_s = since(t0);
  const auto t1 = std::chrono::steady_clock::now();
  const PairOptions options = PairOptions::from_config(config);
  const PairTable pairs = generate_pairs(catalog, evidence, options);
  const SlotModel slots = SlotModel::learn(pairs.contexts, config.get_double("cooccur.slot_min_contexts"));
  const double compute_s = since(t1);
  const auto t2 = std::chrono::steady_clock::now();
  {
    store::Transaction tx(db);
    report.output_rows = write_pairs(db, pairs, catalog, run_id);
    write_slot_model(db, pairs.scoring, slots, run_id);
    tx.commit();
  }
  report.stats = pairs.stats;
  report.stats["seconds_load"] = load_s;
  report.stats["seconds_compute"] = compute_s;
  report.stats["seconds_write"] = since(t2);
  nlohmann::json sources = nlohmann::json::object();
  for (const auto& seed : slots.seeds()) sources[seed] = slots.source(seed);
  report.stats["slot_sources"] = sources;
  if (options.reference) {
    nlohmann::json cut = nlohmann::json::array();
    for (size_t i = 0; i < pairs.outliers.size() && i < 50; ++i) cut.push_back(catalog[pairs.outliers[i]].id);
    report.stats["outlier_products"] = cut;
  }
  return report;
}

std::unique_ptr<LoadedRecommender> load_recommender(store::Database& db, const config::Config& config,
                                                    int threads, bool with_reasons) {
  auto out = std::make_unique<LoadedRecommender>();
  const std::string scoring = config.get_string("cooccur.scoring");
  out->catalog = Catalog::load(db, SlotTable::with_overrides(config.get_list("cooccur.slot_map")));
  out->pairs = read_pairs(db, scoring, out->catalog);
  RecommendOptions options = RecommendOptions::from_config(config);
  options.with_reasons = with_reasons;
  const auto t0 = std::chrono::steady_clock::now();
  NeighbourGraph graph;
  const int k = static_cast<int>(config.get_int("recommend.neighbours"));
  if (!options.reference && k > 0) {
    std::vector<char> anchors(static_cast<size_t>(out->catalog.size()), 0);
    for (const auto& p : out->pairs.pairs) {
      anchors[static_cast<size_t>(p.a)] = 1;
      anchors[static_cast<size_t>(p.b)] = 1;
    }
    const ProductVectors pv = ProductVectors::load(db, out->catalog);
    out->vectors_model = pv.model_id;
    out->vectors = pv.count();
    graph = NeighbourGraph::build(out->catalog, pv, anchors, k,
                                  config.get_double("recommend.neighbour_temperature"), threads);
  }
  out->seconds_neighbours = since(t0);
  AttributeAffinity affinity;
  if (!options.reference) {
    affinity = AttributeAffinity::learn(out->catalog, out->pairs,
                                        config.get_list("recommend.attribute_backoff"));
  }
  FeedbackTable feedback = FeedbackTable::load(db, out->catalog);
  out->feedback_through = feedback.last_id();
  out->model = std::make_unique<Recommender>(out->catalog, out->pairs, std::move(graph),
                                             std::move(affinity), read_slot_model(db, scoring),
                                             MerchRules::from_config(config), std::move(feedback),
                                             options);
  return out;
}

BatchReport run_recommend(store::Database& db, const config::Config& config, std::int64_t run_id,
                          int threads) {
  BatchReport report;
  const auto t0 = std::chrono::steady_clock::now();
  const auto loaded = load_recommender(db, config, threads, false);
  const Catalog& catalog = loaded->catalog;
  const Recommender& rec = *loaded->model;
  report.input_rows = catalog.size();
  const double load_s = since(t0);
  const auto t1 = std::chrono::steady_clock::now();
  std::vector<std::vector<Recommendation>> lists(static_cast<size_t>(catalog.size()));
  const int k = rec.options().per_product;
  parallel_for(static_cast<std::int64_t>(catalog.size()), threads, [&](std::int64_t i) {
    lists[static_cast<size_t>(i)] = rec.recommend(static_cast<std::int32_t>(i), k);
  });
  const double lists_s = since(t1);
  const auto t2 = std::chrono::steady_clock::now();
  std::int64_t covered = 0, from_pairs = 0, from_neighbours = 0, total = 0;
  {
    // Every product id written was read from the catalog by this run, which holds the RunLock
    // (imports take it too): the per-row foreign-key checks would only repeat that, at more than
    // half of the insert's cost (docs/BENCHMARKS.md).
    store::ForeignKeyChecksOff no_fk_checks(db);
    store::Transaction tx(db);
    report.output_rows = write_recommendations(db, catalog, lists, loaded->pairs.lookbook_ids, run_id);
    db.prepare("DELETE FROM stage_items WHERE stage = 'recommend' AND status = 'empty'").run();
    auto empty = db.prepare(
        "INSERT INTO stage_items (stage, item_id, fingerprint, status, detail, run_id)"
        " VALUES ('recommend', ?, '', 'empty', ?, ?) ON CONFLICT(stage, item_id) DO UPDATE SET"
        " status = excluded.status, detail = excluded.detail, run_id = excluded.run_id");
    for (std::int32_t i = 0; i < catalog.size(); ++i) {
      const auto& l = lists[static_cast<size_t>(i)];
      if (l.empty()) {
        empty.bind(1, catalog[i].id).bind(2, rec.empty_reason(i)).bind(3, run_id);
        empty.run();
        continue;
      }
      ++covered;
      for (const auto& r : l) {
        ++total;
        from_pairs += r.source == "pairs";
        from_neighbours += r.source == "neighbours";
      }
    }
    tx.commit();
  }
  report.stats["scoring"] = config.get_string("cooccur.scoring");
  report.stats["pairs"] = loaded->pairs.pairs.size();
  report.stats["products"] = catalog.size();
  report.stats["products_with_recommendations"] = covered;
  report.stats["coverage"] = catalog.size() > 0 ? static_cast<double>(covered) / catalog.size() : 0.0;
  report.stats["product_vectors"] = loaded->vectors;
  report.stats["vectors_model"] = loaded->vectors_model;
  report.stats["products_with_neighbours"] = rec.neighbours().products_with_neighbours();
  report.stats["recommendations"] = total;
  report.stats["from_pairs"] = from_pairs;
  report.stats["from_neighbours"] = from_neighbours;
  report.stats["feedback_through"] = loaded->feedback_through;
  report.stats["seconds_load"] = load_s - loaded->seconds_neighbours;
  report.stats["seconds_neighbours"] = loaded->seconds_neighbours;
  report.stats["seconds_lists"] = lists_s;
  report.stats["seconds_write"] = since(t2);
  return report;
}

}  // namespace ensemble::recommend
