// The `match` stage: region -> top-k products and product -> top-k regions, by cosine similarity of
// their embeddings, plus each region's category (a similarity-weighted vote of its matches).
//
// Full pass: every region vector × every product vector in one blocked sgemm pass
// (index::cross_search) that yields both directions. It runs when there is no previous match, or
// when anything other than additions changed: the model, the match settings, a product's category,
// or any product or region vector changed or removed.
//
// Incremental pass: when the only change since the last match is NEW product and/or region vectors
// (recorded per item in stage_items: "product:ID" / "region:ID" -> the embedding's source_sha, and
// "all" -> the fingerprint of the whole input, against which the per-item rows are checked), only
// the pairs that involve a new vector are scored:
//   new regions × all products   -> the new regions' lists; each product's best new regions;
//   old regions × new products   -> each old region's best new products; the new products' best
//                                   old regions.
// Each stored list is merged with its candidates (score desc, then position in the id-ordered
// vector set asc — the full pass's tie-break — keeping k; min_similarity applies to candidates as
// it does in the full pass). The stored lists are read in one pass over `matches` (with their
// rowids); a list whose candidates' best sgemm score is clearly below its k-th stored score cannot
// change, so its candidates are not re-scored. A list that changes is written row by row: an entry
// that joined takes over the row of one that left, an entry that moved gets its new rank, the
// rest stay as they are.
//
// Vectors: the ids and sources of every vector are read first (small columns: the skip check and
// the choice of pass need nothing else); then only the vectors the pass reads — all of them for
// the full pass; for an incremental pass every product only when there are new regions, every
// region only when there are new products, and otherwise just the new ones.
//
// Scores are canonical in both passes: an sgemm result depends on where a pair sits in a block (a
// duplicate vector can score 1 ulp apart from its twin), which would let a merge rank ties
// differently from a full pass. So each pass fetches k + kMargin candidates by sgemm score, then
// re-scores them with a fixed-order double dot product and keeps the best k of those; when the sgemm
// list cannot prove that nothing outside it reaches the k-th place (its last score within the
// error bound of the k-th canonical one — many near-ties), that list is scored exactly over all its
// candidates ("lists_rescanned").
//
// A region whose list changes gets its category vote recomputed from the merged list. The result
// equals a full recompute (match_stage_test.cc checks it row by row, ties included). With
// match.category_consistent on, a region's stored list is its category-filtered list, not the
// unfiltered candidates its vote came from, so new PRODUCTS then take the full pass (new regions
// alone stay incremental). Both passes write everything in one transaction: a kill leaves the
// previous state, from which the next run reaches the same result. When nothing changed the stage
// is skipped. stats: "mode" (incremental / full / skipped), "pairs_scored", "lists_rewritten".
//
// Code: match_vectors.{h,cc} read the vector sets, the products' categories and their hashes;
// match_lists.{h,cc} compute the exact lists (the sgemm pass, kMargin, the canonical score), merge
// them, and read and rewrite the stored lists; this file chooses the pass, votes the categories
// and records what the match was computed from.
#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>

#include "ensemble/pipeline/stage.h"
#include "ensemble/store/product_model.h"
#include "ensemble/util/error.h"
#include "ensemble/util/gemm.h"
#include "pipeline/match_lists.h"
#include "pipeline/match_vectors.h"
#include "pipeline/stage_util.h"
#include "pipeline/stages.h"

namespace ensemble::pipeline {

namespace {

using match::all_rows;
using match::Categories;
using match::categories_hash;
using match::cross;
using match::Hit;
using match::HitList;
using match::items_hash;
using match::list_vectors;
using match::Lists;
using match::load_categories;
using match::load_rows;
using match::owners_exist;
using match::MatchWriter;
using match::merge_top;
using match::read_stored_lists;
using match::row;
using match::same_list;
using match::ScoreCounters;
using match::StoredLists;
using match::VectorSet;

// At least `kib` KiB of SQLite page cache on the connection while it lives; the previous setting
// is restored after. A pass rewrites rows all over `matches` (an incremental pass for 620 new
// regions at reference scale re-ranks rows of 15,000 lists); with SQLite's default 2 MB cache the
// transaction's dirty pages spill to the WAL before the commit and are read back, which doubled
// the time of those writes (and, with reads memory-mapped, still costs 0.3-0.4 s of that pass's
// 1.1 s outside the kernel, single-threaded).
class PageCacheAtLeast {
 public:
  PageCacheAtLeast(store::Database& db, std::int64_t kib) : db_(db) {
    auto setting = db.prepare("PRAGMA cache_size");
    setting.step();
    old_ = setting.column_int(0);
    auto page = db.prepare("PRAGMA page_size");
    page.step();
    const std::int64_t old_kib = old_ < 0 ? -old_ : old_ * page.column_int(0) / 1024;
    if (old_kib < kib) {
      db.exec("PRAGMA cache_size = " + std::to_string(-kib));
      changed_ = true;
    }
  }
  ~PageCacheAtLeast() {
    try {
      if (changed_) db_.exec("PRAGMA cache_size = " + std::to_string(old_));
    } catch (...) {
      // Only a performance setting: leaving the larger cache is harmless.
    }
  }
  PageCacheAtLeast(const PageCacheAtLeast&) = delete;
  PageCacheAtLeast& operator=(const PageCacheAtLeast&) = delete;

 private:
  store::Database& db_;
  std::int64_t old_ = 0;
  bool changed_ = false;
};

// The page cache the writes of a pass get (see PageCacheAtLeast).
constexpr std::int64_t kWriteCacheKib = 64 * 1024;

class MatchStage : public Stage {
 public:
  std::string name() const override { return "match"; }
  std::string backend(const config::Config&) const override { return "exact:sgemm"; }
  std::string model_id() const override { return model_; }

  StageResult run(StageContext& ctx) override {
    StageResult result;
    auto& db = ctx.store.db();
    model_ = store::current_product_model(db);
    if (model_.empty()) {
      result.stats["note"] = "no product embeddings yet: run the embed stage";
      return result;
    }
    VectorSet products = list_vectors(db, "product", model_);
    VectorSet regions = list_vectors(db, "region", model_);
    result.input_rows = static_cast<std::int64_t>(products.size() + regions.size());
    const int k_rp = static_cast<int>(ctx.config.get_int("match.products_per_region"));
    const int k_pr = static_cast<int>(ctx.config.get_int("match.regions_per_product"));
    const auto min_sim = static_cast<float>(ctx.config.get_double("match.min_similarity"));
    const bool consistent = ctx.config.get_bool("match.category_consistent");
    const std::string settings = ctx.config.section_json("match").dump();

    std::unordered_map<std::string_view, index::Id> product_at;
    product_at.reserve(products.size());
    for (size_t i = 0; i < products.size(); ++i) product_at.emplace(products.ids[i], static_cast<index::Id>(i));
    const Categories cats = load_categories(db, products, product_at);
    const auto every_product = all_rows(products.size()), every_region = all_rows(regions.size());
    const std::string fp =
        fingerprint({model_, items_hash(products, every_product), items_hash(regions, every_region),
                     settings, categories_hash(products, cats, every_product)});
    const auto state = item_state(db, "match", "all");
    if (state && state->status == "ok" && state->fingerprint == fp) {
      result.skipped_rows = result.input_rows;
      result.stats["mode"] = "skipped";
      return result;
    }
    if (products.dim != 0 && regions.dim != 0 && products.dim != regions.dim) {
      throw Error(ErrorCode::kBadInput, "product and region vectors differ in dimension");
    }

    Params p{k_rp, k_pr, min_sim, consistent, consistent ? std::max(k_rp * 4, k_rp) : k_rp,
             worker_threads(ctx.config)};
    std::optional<Additions> add;
    if (state && state->status == "ok") {
      add = additions(db, products, regions, cats, settings, state->fingerprint, p);
    }
    Counters c;
    const auto t0 = std::chrono::steady_clock::now();
    if (add && !incremental(ctx, products, regions, product_at, cats, p, *add, &c)) add.reset();
    if (!add) full(ctx, products, regions, cats, p, &c);
    set_item_state(db, "match", "all", fp, "ok", "", ctx.run_id);
    c.tx->commit();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.output_rows = c.written;
    result.stats["model"] = model_;
    result.stats["mode"] = add ? "incremental" : "full";
    result.stats["pairs_scored"] = c.score.pairs_scored;
    result.stats["lists_rescanned"] = c.score.rescans;
    result.stats["products"] = products.size();
    result.stats["regions"] = regions.size();
    if (add) {
      result.stats["new_products"] = add->new_products.size();
      result.stats["new_regions"] = add->new_regions.size();
      result.stats["lists_rewritten"] = c.lists_rewritten;
      result.skipped_rows = result.input_rows -
                            static_cast<std::int64_t>(add->new_products.size() + add->new_regions.size());
    }
    result.stats["regions_categorised"] = c.categorised;
    result.stats["kernel_seconds"] = c.score.kernel_s;
    result.stats["gemm"] = gemm::describe();
    result.stats["match_seconds"] = seconds;
    if (!add) {
      result.stats["mean_top1_score"] =
          regions.ids.empty() ? 0.0 : c.top1_sum / static_cast<double>(regions.size());
    }
    // Every product vector read (a full pass, or new regions): left for the recommend stage of
    // this process under the key of what they were read from (read_cache.h).
    if (!products.ids.empty() && products.all_loaded()) {
      auto rows = std::make_shared<store::ProductVectorRows>();
      rows->model = model_;
      rows->dim = products.dim;
      rows->ids = std::move(products.ids);
      rows->values = std::move(products.values);
      db.read_cache().put<store::ProductVectorRows>(store::kProductVectorsEntry,
                                                    store::product_vectors_key(db, model_), std::move(rows));
    }
    return result;
  }

 private:
  struct Params {
    int k_rp, k_pr;
    float min_sim;
    bool consistent;
    int k_search;  // region-side candidates (more than k_rp when category_consistent filters them)
    int threads;
  };
  // Positions (in the id-ordered vector sets) of the vectors added since the last match.
  struct Additions {
    std::vector<index::Id> new_products, old_products, new_regions, old_regions;
  };
  struct Counters {
    // Per-row foreign-key checks are skipped when every vector's owner exists (owners_exist): the
    // rows written then reference existing regions, products and this run, and the RunLock keeps
    // them there. About a tenth of the incremental pass at reference scale.
    std::unique_ptr<store::ForeignKeyChecksOff> no_fk_checks;
    // The larger page cache is taken after the vectors are read: reading 90 MB of them through
    // it only filled it (allocating its pages) with rows the writes never touch again.
    std::unique_ptr<PageCacheAtLeast> cache;
    std::unique_ptr<store::Transaction> tx;
    std::int64_t written = 0, categorised = 0, lists_rewritten = 0;
    double top1_sum = 0;
    ScoreCounters score;  // what cross() did
  };

  // Whether the change since the last successful match is purely additive, and if so which vectors
  // are new. nullopt: take the full pass.
  std::optional<Additions> additions(store::Database& db, const VectorSet& products,
                                     const VectorSet& regions, const Categories& cats,
                                     const std::string& settings, const std::string& stored_fp,
                                     const Params& p) {
    std::vector<std::string> old_pid, old_psrc, old_rid, old_rsrc;
    {
      auto st = db.prepare(
          "SELECT item_id, fingerprint FROM stage_items WHERE stage = 'match' AND item_id <> 'all'"
          " ORDER BY item_id");
      while (st.step()) {
        const std::string item = st.column_text(0);
        if (item.rfind("product:", 0) == 0) {
          old_pid.push_back(item.substr(8));
          old_psrc.push_back(st.column_text(1));
        } else if (item.rfind("region:", 0) == 0) {
          old_rid.push_back(item.substr(7));
          old_rsrc.push_back(st.column_text(1));
        }
      }
    }
    Additions a;
    // Both lists are in id order: walk them together. Every old item must still be there, unchanged.
    auto split = [](const VectorSet& cur, const std::vector<std::string>& ids,
                    const std::vector<std::string>& srcs, std::vector<index::Id>* fresh,
                    std::vector<index::Id>* old) {
      size_t j = 0;
      for (size_t i = 0; i < cur.size(); ++i) {
        if (j < ids.size() && ids[j] == cur.ids[i]) {
          if (srcs[j] != cur.sources[i]) return false;  // changed
          old->push_back(static_cast<index::Id>(i));
          ++j;
        } else {
          fresh->push_back(static_cast<index::Id>(i));
        }
      }
      return j == ids.size();  // otherwise some were removed
    };
    if (!split(products, old_pid, old_psrc, &a.new_products, &a.old_products)) return std::nullopt;
    if (!split(regions, old_rid, old_rsrc, &a.new_regions, &a.old_regions)) return std::nullopt;
    // The item rows must describe exactly what the stored match was computed from, under the
    // current model, settings and categories (also rejects a state written without item rows).
    // The old items are a part of the current ones, with the same sources (split checked).
    if (fingerprint({model_, items_hash(products, a.old_products), items_hash(regions, a.old_regions),
                     settings, categories_hash(products, cats, a.old_products)}) != stored_fp) {
      return std::nullopt;
    }
    // A region's stored list under category_consistent is filtered: not enough to merge new products.
    if (p.consistent && !a.new_products.empty() && !a.old_regions.empty()) return std::nullopt;
    if (a.new_products.empty() && a.new_regions.empty()) return std::nullopt;
    return a;
  }

  // The similarity-weighted vote over a region's top k_rp candidates (best first): the winning
  // category (a number of `cats`; the first in name order on a tie) and its share, written to the
  // region unless there is none. Returns the winner, -1 when there are no candidates.
  std::int32_t vote(store::Statement& set_cat, const Categories& cats, const Params& p,
                    std::int64_t region_id, std::span<const Hit> hits, Counters* c) {
    std::vector<std::pair<std::int32_t, double>> votes;  // category, weight; at most k_rp
    double total = 0;
    for (size_t i = 0; i < hits.size() && static_cast<int>(i) < p.k_rp; ++i) {
      const double w = std::max(0.0f, hits[i].score);
      const std::int32_t cat = cats.of[static_cast<size_t>(hits[i].pos)];
      auto it = std::find_if(votes.begin(), votes.end(), [&](const auto& v) { return v.first == cat; });
      if (it == votes.end()) {
        votes.emplace_back(cat, w);
      } else {
        it->second += w;
      }
      total += w;
    }
    std::sort(votes.begin(), votes.end());
    std::int32_t winner = -1;
    double best = -1;
    for (const auto& [cat, w] : votes) {
      if (w > best) {
        best = w;
        winner = cat;
      }
    }
    if (winner >= 0 && !cats.names[static_cast<size_t>(winner)].empty() && total > 0) {
      set_cat.bind(1, cats.names[static_cast<size_t>(winner)]).bind(2, best / total).bind(3, region_id);
      set_cat.run();
      ++c->categorised;
    }
    return winner;
  }

  // Writes region r's rows and category from its unfiltered candidates (best first), as the full
  // pass always has.
  void write_region(const VectorSet& products, const VectorSet& regions, const Categories& cats,
                    const Params& p, size_t r, const HitList& hits, MatchWriter& w,
                    store::Statement& set_cat, Counters* c) {
    const std::int64_t region_id = regions.numbers[r];
    const std::int32_t winner = vote(set_cat, cats, p, region_id, hits, c);
    int rank = 0;
    for (const auto& [pos, score] : hits) {
      if (rank >= p.k_rp) break;
      if (p.consistent && cats.of[static_cast<size_t>(pos)] != winner) continue;
      w.insert("region_to_product", region_id, products.ids[static_cast<size_t>(pos)], ++rank, score);
      if (rank == 1) c->top1_sum += score;
    }
  }

  void write_product(const VectorSet& products, const VectorSet& regions, size_t pi,
                     const HitList& hits, MatchWriter& w) {
    int rank = 0;
    for (const auto& [pos, score] : hits) {
      w.insert("product_to_region", regions.numbers[static_cast<size_t>(pos)], products.ids[pi], ++rank,
               score);
    }
  }

  // Item rows: what the stored match was computed from.
  static void record_items(store::Database& db, const VectorSet& v, const char* prefix,
                           const std::vector<index::Id>& rows, std::int64_t run_id) {
    auto st = db.prepare(
        "INSERT INTO stage_items (stage, item_id, fingerprint, status, detail, run_id)"
        " VALUES ('match', ?, ?, 'ok', '', ?) ON CONFLICT(stage, item_id) DO UPDATE SET"
        " fingerprint = excluded.fingerprint, status = excluded.status,"
        " detail = excluded.detail, run_id = excluded.run_id");
    for (index::Id i : rows) {
      st.bind(1, std::string(prefix) + v.ids[static_cast<size_t>(i)])
          .bind(2, v.sources[static_cast<size_t>(i)]).bind(3, run_id);
      st.run();
    }
  }

  void full(StageContext& ctx, VectorSet& products, VectorSet& regions, const Categories& cats,
            const Params& p, Counters* c) {
    auto& db = ctx.store.db();
    const auto region_pos = all_rows(regions.size()), product_pos = all_rows(products.size());
    load_rows(db, "product", model_, products, product_pos);
    load_rows(db, "region", model_, regions, region_pos);
    if (!c->cache) c->cache = std::make_unique<PageCacheAtLeast>(db, kWriteCacheKib);
    const Lists lists =
        cross(regions, region_pos, products, product_pos, p.k_search, p.k_pr, p.min_sim, p.threads, &c->score);

    if (owners_exist(db, model_)) c->no_fk_checks = std::make_unique<store::ForeignKeyChecksOff>(db);
    c->tx = std::make_unique<store::Transaction>(db);
    db.exec("DELETE FROM matches");
    db.exec("DELETE FROM stage_items WHERE stage = 'match' AND item_id <> 'all'");
    MatchWriter w(db, ctx.run_id);
    auto set_cat = db.prepare("UPDATE regions SET category = ?, category_confidence = ? WHERE id = ?");
    for (size_t r = 0; r < regions.size(); ++r) {
      write_region(products, regions, cats, p, r, row(lists.a_to_b, r), w, set_cat, c);
    }
    for (size_t pi = 0; pi < products.size(); ++pi) {
      write_product(products, regions, pi, row(lists.b_to_a, pi), w);
    }
    c->written += w.written;
    record_items(db, products, "product:", product_pos, ctx.run_id);
    record_items(db, regions, "region:", region_pos, ctx.run_id);
  }

  // Returns false (nothing written) when the stored lists do not fit the vector sets.
  bool incremental(StageContext& ctx, VectorSet& products, VectorSet& regions,
                   const std::unordered_map<std::string_view, index::Id>& product_at,
                   const Categories& cats, const Params& p, const Additions& a, Counters* c) {
    auto& db = ctx.store.db();
    const bool merge_regions = !a.new_products.empty() && !a.old_regions.empty();
    const bool merge_products = p.k_pr > 0 && !a.new_regions.empty() && !a.old_products.empty();
    // Only the vectors the two cross calls below read: every product when there are new regions
    // (else the new ones), every region when there are new products (else the new ones).
    const auto all_products = all_rows(products.size());
    load_rows(db, "product", model_, products, a.new_regions.empty() ? a.new_products : all_products);
    load_rows(db, "region", model_, regions, a.new_products.empty() ? a.new_regions : all_rows(regions.size()));
    // The stored lists are read through the larger cache: their pages are the ones written.
    c->cache = std::make_unique<PageCacheAtLeast>(db, kWriteCacheKib);
    StoredLists region_lists, product_lists;
    region_lists.k = merge_regions ? p.k_rp : 0;
    product_lists.k = merge_products ? p.k_pr : 0;
    if ((merge_regions || merge_products) &&
        !read_stored_lists(db, products, regions, product_at, &region_lists, &product_lists)) {
      return false;
    }

    // A stored list only changes when a candidate beats its k-th entry: lists whose candidates
    // clearly cannot are not refined (and come back empty).
    std::vector<float> product_floor, region_floor;
    if (merge_products) {
      product_floor.resize(products.size());
      for (size_t i = 0; i < products.size(); ++i) product_floor[i] = product_lists.floor(static_cast<index::Id>(i));
    }
    if (merge_regions) {
      region_floor.resize(a.old_regions.size());
      for (size_t i = 0; i < a.old_regions.size(); ++i) region_floor[i] = region_lists.floor(a.old_regions[i]);
    }
    // New regions × all products: the new regions' lists, and every product's best new regions.
    const Lists nr = cross(regions, a.new_regions, products, all_products, p.k_search, p.k_pr, p.min_sim, p.threads,
                           &c->score, {}, product_floor);
    // Old regions × new products: each old region's best new products (category_consistent is off
    // here whenever there are any), and the new products' best old regions.
    const Lists np = cross(regions, a.old_regions, products, a.new_products, p.k_rp, p.k_pr, p.min_sim, p.threads,
                           &c->score, region_floor);

    if (owners_exist(db, model_)) c->no_fk_checks = std::make_unique<store::ForeignKeyChecksOff>(db);
    c->tx = std::make_unique<store::Transaction>(db);
    MatchWriter w(db, ctx.run_id);
    auto set_cat = db.prepare("UPDATE regions SET category = ?, category_confidence = ? WHERE id = ?");

    // Region -> product.
    for (size_t i = 0; i < a.new_regions.size(); ++i) {
      write_region(products, regions, cats, p, static_cast<size_t>(a.new_regions[i]), row(nr.a_to_b, i), w,
                   set_cat, c);
    }
    if (merge_regions) {
      for (size_t i = 0; i < a.old_regions.size(); ++i) {
        const index::Id r = a.old_regions[i];
        const auto old = region_lists.of(r);
        const HitList merged = merge_top(old, row(np.a_to_b, i), p.k_rp);
        if (same_list(old, merged)) continue;
        const std::int64_t region_id = regions.numbers[static_cast<size_t>(r)];
        vote(set_cat, cats, p, region_id, merged, c);
        w.rewrite_region_list(region_id, old, region_lists.rows_of(r), merged, products);
        ++c->lists_rewritten;
      }
    }
    // Product -> region.
    if (p.k_pr > 0) {
      // Candidates among new regions, by product position (nr covers all products).
      auto new_region_hits = [&](index::Id pi) -> const HitList& { return row(nr.b_to_a, static_cast<size_t>(pi)); };
      for (size_t i = 0; i < a.new_products.size(); ++i) {
        const index::Id pi = a.new_products[i];
        write_product(products, regions, static_cast<size_t>(pi),
                      merge_top(row(np.b_to_a, i), new_region_hits(pi), p.k_pr), w);
      }
      if (merge_products) {
        for (const index::Id pi : a.old_products) {
          const auto old = product_lists.of(pi);
          const HitList merged = merge_top(old, new_region_hits(pi), p.k_pr);
          if (same_list(old, merged)) continue;
          w.rewrite_product_list(products.ids[static_cast<size_t>(pi)], old, product_lists.rows_of(pi), merged,
                                 regions);
          ++c->lists_rewritten;
        }
      }
    }
    c->written += w.written;
    record_items(db, products, "product:", a.new_products, ctx.run_id);
    record_items(db, regions, "region:", a.new_regions, ctx.run_id);
    return true;
  }

  std::string model_;
};

}  // namespace

std::unique_ptr<Stage> make_match_stage() { return std::make_unique<MatchStage>(); }

}  // namespace ensemble::pipeline
