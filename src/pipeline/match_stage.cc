// The `match` stage: region -> top-k products and product -> top-k regions, by cosine similarity of
// their embeddings, plus each region's category (a similarity-weighted vote of its matches).
//
// The whole bipartite match is recomputed when its inputs change (any product or region vector, or
// the match settings): one blocked sgemm pass (index::cross_search) does both directions, which takes seconds at the
// reference scale, and a full recompute keeps the two directions consistent. When nothing changed
// the stage is skipped.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "ensemble/pipeline/stage.h"
#include "ensemble/search/product_index.h"
#include "ensemble/util/error.h"
#include "ensemble/util/sha256.h"
#include "ensemble/index/cross_search.h"
#include "pipeline/stage_util.h"
#include "pipeline/stages.h"

namespace ensemble::pipeline {

namespace {

struct VectorSet {
  std::vector<std::string> ids;
  std::vector<float> values;
  int dim = 0;
};

// Loads every vector of a kind for one model, ordered by owner id; `hash` covers ids and sources.
VectorSet load_vectors(store::Database& db, const std::string& kind, const std::string& model,
                       std::string* hash) {
  VectorSet v;
  std::string digest_input;
  auto st = db.prepare(
      "SELECT owner_id, dim, vector, source_sha FROM embeddings WHERE owner_kind = ? AND"
      " model_id = ? ORDER BY owner_id");
  st.bind(1, kind).bind(2, model);
  while (st.step()) {
    const int dim = static_cast<int>(st.column_int(1));
    if (v.dim == 0) v.dim = dim;
    if (dim != v.dim) throw Error(ErrorCode::kBadInput, "embeddings of mixed dimensions for " + model);
    int bytes = 0;
    const void* p = st.column_blob_ptr(2, &bytes);
    if (bytes != dim * static_cast<int>(sizeof(float))) {
      throw Error(ErrorCode::kBadInput, "corrupt embedding for " + kind + " " + st.column_text(0));
    }
    v.ids.push_back(st.column_text(0));
    const size_t off = v.values.size();
    v.values.resize(off + static_cast<size_t>(dim));
    std::memcpy(v.values.data() + off, p, static_cast<size_t>(bytes));
    digest_input += v.ids.back() + ':' + st.column_text(3) + '\n';
  }
  *hash = sha256_hex(digest_input);
  return v;
}

// The model whose vectors the match uses: the one with the most product vectors.
std::string current_model(store::Database& db) {
  auto st = db.prepare(
      "SELECT model_id FROM embeddings WHERE owner_kind = 'product' GROUP BY model_id"
      " ORDER BY count(*) DESC, max(run_id) DESC LIMIT 1");
  return st.step() ? st.column_text(0) : std::string();
}

class MatchStage : public Stage {
 public:
  std::string name() const override { return "match"; }
  std::string backend(const config::Config& c) const override {
    return "exact:sgemm; product index " + c.get_string("index.backend");
  }
  std::string model_id() const override { return model_; }

  StageResult run(StageContext& ctx) override {
    StageResult result;
    auto& db = ctx.store.db();
    model_ = current_model(db);
    if (model_.empty()) {
      result.stats["note"] = "no product embeddings yet: run the embed stage";
      return result;
    }
    std::string product_hash, region_hash;
    const VectorSet products = load_vectors(db, "product", model_, &product_hash);
    const VectorSet regions = load_vectors(db, "region", model_, &region_hash);
    result.input_rows = static_cast<std::int64_t>(products.ids.size() + regions.ids.size());
    const int k_rp = static_cast<int>(ctx.config.get_int("match.products_per_region"));
    const int k_pr = static_cast<int>(ctx.config.get_int("match.regions_per_product"));
    const auto min_sim = static_cast<float>(ctx.config.get_double("match.min_similarity"));
    const bool consistent = ctx.config.get_bool("match.category_consistent");
    const std::string fp = fingerprint({model_, product_hash, region_hash,
                                        ctx.config.section_json("match").dump()});
    const auto state = item_state(db, "match", "all");
    if (state && state->status == "ok" && state->fingerprint == fp) {
      result.skipped_rows = result.input_rows;
      // The index file may still be missing or outdated (deleted, or another index.backend).
      search::IndexSyncReport sync;
      search::sync_product_index(ctx.store, ctx.config, model_, ctx.run_id, &sync);
      result.stats["product_index"] = {{"action", sync.action}, {"size", sync.size}};
      return result;
    }
    if (products.dim != 0 && regions.dim != 0 && products.dim != regions.dim) {
      throw Error(ErrorCode::kBadInput, "product and region vectors differ in dimension");
    }

    std::map<std::string, std::string> category;  // product id -> category
    {
      auto st = db.prepare("SELECT id, category FROM products");
      while (st.step()) category[st.column_text(0)] = st.column_text(1);
    }

    const auto t0 = std::chrono::steady_clock::now();
    // A region's category vote needs more candidates than k when category_consistent filters them.
    const int k_search = consistent ? std::max(k_rp * 4, k_rp) : k_rp;
    // Index ids are positions in the two vector sets.
    std::vector<index::Id> region_pos(regions.ids.size()), product_pos(products.ids.size());
    for (size_t i = 0; i < region_pos.size(); ++i) region_pos[i] = static_cast<index::Id>(i);
    for (size_t i = 0; i < product_pos.size(); ++i) product_pos[i] = static_cast<index::Id>(i);
    index::CrossOptions co;
    co.k_ab = k_search;
    co.k_ba = k_pr;
    co.min_score = min_sim;
    co.threads = worker_threads(ctx.config);
    index::CrossResults lists;
    if (!regions.ids.empty() && !products.ids.empty()) {
      lists = index::cross_search(region_pos, regions.values, product_pos, products.values,
                                  std::max(products.dim, regions.dim), co);
    }
    // Row q of a SearchResults as (position, score) pairs, best first.
    auto hits_of = [](const index::SearchResults& r, size_t q) {
      std::vector<std::pair<index::Id, float>> out;
      if (r.n == 0) return out;
      for (int j = 0; j < r.count(static_cast<std::int64_t>(q)); ++j) {
        out.emplace_back(r.id(static_cast<std::int64_t>(q), j), r.score(static_cast<std::int64_t>(q), j));
      }
      return out;
    };
    const double kernel_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    store::Transaction tx(db);
    db.exec("DELETE FROM matches");
    auto ins = db.prepare(
        "INSERT INTO matches (direction, region_id, product_id, rank, score, run_id)"
        " VALUES (?,?,?,?,?,?)");
    auto set_cat = db.prepare(
        "UPDATE regions SET category = ?, category_confidence = ? WHERE id = ?");
    std::int64_t written = 0, categorised = 0;
    double top1_sum = 0;
    for (size_t r = 0; r < regions.ids.size(); ++r) {
      const auto hits = hits_of(lists.a_to_b, r);
      // Similarity-weighted vote over the top k_rp hits.
      std::map<std::string, double> votes;
      double total = 0;
      for (size_t i = 0; i < hits.size() && static_cast<int>(i) < k_rp; ++i) {
        const double w = std::max(0.0f, hits[i].second);
        votes[category[products.ids[static_cast<size_t>(hits[i].first)]]] += w;
        total += w;
      }
      std::string winner;
      double best = -1;
      for (const auto& [c, w] : votes) {
        if (w > best) {
          best = w;
          winner = c;
        }
      }
      const auto region_id = static_cast<std::int64_t>(std::stoll(regions.ids[r]));
      if (!winner.empty() && total > 0) {
        set_cat.bind(1, winner).bind(2, best / total).bind(3, region_id);
        set_cat.run();
        ++categorised;
      }
      int rank = 0;
      for (const auto& [pos, score] : hits) {
        if (rank >= k_rp) break;
        const std::string& pid = products.ids[static_cast<size_t>(pos)];
        if (consistent && category[pid] != winner) continue;
        ins.bind(1, "region_to_product").bind(2, region_id).bind(3, pid).bind(4, ++rank)
            .bind(5, static_cast<double>(score)).bind(6, ctx.run_id);
        ins.run();
        ++written;
        if (rank == 1) top1_sum += score;
      }
    }
    for (size_t p = 0; p < products.ids.size(); ++p) {
      int rank = 0;
      for (const auto& [pos, score] : hits_of(lists.b_to_a, p)) {
        ins.bind(1, "product_to_region")
            .bind(2, static_cast<std::int64_t>(std::stoll(regions.ids[static_cast<size_t>(pos)])))
            .bind(3, products.ids[p]).bind(4, ++rank).bind(5, static_cast<double>(score))
            .bind(6, ctx.run_id);
        ins.run();
        ++written;
      }
    }
    set_item_state(db, "match", "all", fp, "ok", "", ctx.run_id);
    tx.commit();
    // Keep the product index for search in step with the vectors just matched.
    search::IndexSyncReport sync;
    search::sync_product_index(ctx.store, ctx.config, model_, ctx.run_id, &sync);
    result.stats["product_index"] = {{"action", sync.action}, {"added", sync.added},
                                     {"removed", sync.removed}, {"size", sync.size},
                                     {"seconds", sync.seconds}};
    result.output_rows = written;
    result.stats["model"] = model_;
    result.stats["products"] = products.ids.size();
    result.stats["regions"] = regions.ids.size();
    result.stats["regions_categorised"] = categorised;
    result.stats["kernel_seconds"] = kernel_s;
    result.stats["mean_top1_score"] = regions.ids.empty() ? 0.0 : top1_sum / static_cast<double>(regions.ids.size());
    return result;
  }

 private:
  std::string model_;
};

}  // namespace

std::unique_ptr<Stage> make_match_stage() { return std::make_unique<MatchStage>(); }

}  // namespace ensemble::pipeline
