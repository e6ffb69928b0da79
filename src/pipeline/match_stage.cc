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
// it does in the full pass).
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
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "ensemble/pipeline/stage.h"
#include "ensemble/util/error.h"
#include "ensemble/util/gemm.h"
#include "ensemble/util/parallel.h"
#include "ensemble/util/sha256.h"
#include "ensemble/index/cross_search.h"
#include "pipeline/stage_util.h"
#include "pipeline/stages.h"

namespace ensemble::pipeline {

namespace {

struct VectorSet {
  std::vector<std::string> ids;
  std::vector<std::string> sources;  // source_sha per id
  std::vector<float> values;
  int dim = 0;
};

// Hash of "id:source" lines, in id order (as load_vectors and the stored item rows give them).
std::string items_hash(const std::vector<std::string>& ids, const std::vector<std::string>& sources) {
  std::string digest_input;
  for (size_t i = 0; i < ids.size(); ++i) digest_input += ids[i] + ':' + sources[i] + '\n';
  return sha256_hex(digest_input);
}

// Loads every vector of a kind for one model, ordered by owner id.
VectorSet load_vectors(store::Database& db, const std::string& kind, const std::string& model) {
  VectorSet v;
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
    v.sources.push_back(st.column_text(3));
  }
  return v;
}

// Hash of the categories of the given products (the vote depends on them).
std::string categories_hash(const std::vector<std::string>& ids,
                            std::map<std::string, std::string>& category) {
  std::string digest_input;
  for (const auto& id : ids) digest_input += id + '\t' + category[id] + '\n';
  return sha256_hex(digest_input);
}

// One entry of a top list: a position in the (id-ordered) vector set of the other side.
struct Hit {
  index::Id pos;
  float score;
};
using HitList = std::vector<Hit>;

// The full pass's order: score desc, then position asc.
bool better(const Hit& a, const Hit& b) { return a.score > b.score || (a.score == b.score && a.pos < b.pos); }

// Top k of two disjoint lists, each already best first.
HitList merge_top(const HitList& a, const HitList& b, int k) {
  HitList out;
  out.reserve(static_cast<size_t>(k));
  size_t i = 0, j = 0;
  while (static_cast<int>(out.size()) < k && (i < a.size() || j < b.size())) {
    if (j >= b.size() || (i < a.size() && better(a[i], b[j]))) {
      out.push_back(a[i++]);
    } else {
      out.push_back(b[j++]);
    }
  }
  return out;
}

bool same_list(const HitList& a, const HitList& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].pos != b[i].pos) return false;
  }
  return true;
}

// Row q of a SearchResults, best first.
HitList hits_of(const index::SearchResults& r, size_t q) {
  HitList out;
  if (r.n == 0) return out;
  for (int j = 0; j < r.count(static_cast<std::int64_t>(q)); ++j) {
    out.push_back({r.id(static_cast<std::int64_t>(q), j), r.score(static_cast<std::int64_t>(q), j)});
  }
  return out;
}

// The score that is stored and ranked: the dot product accumulated in double in index order,
// rounded to float. Unlike an sgemm result it does not depend on where the pair sat in a block, so
// a pair scores the same in a full pass and in an incremental one.
float canonical_dot(const float* a, const float* b, int dim) {
  double s = 0;
  for (int i = 0; i < dim; ++i) s += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return static_cast<float>(s);
}

// Extra candidates fetched from the sgemm pass beyond k, so that the canonical top k is among them.
constexpr int kMargin = 8;

// The exact top k (canonical scores >= min_sim; score desc, position asc) of `query` among the
// rows `candidates` of `other`, given `sg`: the sgemm pass's best (k + kMargin) of them with
// scores within `tol` of the canonical ones. When the sgemm list cannot prove that nothing outside
// it belongs (its last score is not clearly below the k-th canonical score), every candidate is
// scored canonically.
HitList refine(const float* query, const VectorSet& other, const std::vector<index::Id>& candidates,
               const HitList& sg, int k, float min_sim, float tol, std::atomic<std::int64_t>* rescans) {
  const int dim = other.dim;
  auto score = [&](index::Id pos) {
    return canonical_dot(query, other.values.data() + static_cast<size_t>(pos) * static_cast<size_t>(dim), dim);
  };
  HitList out;
  for (const Hit& h : sg) {
    const float s = score(h.pos);
    if (s >= min_sim) out.push_back({h.pos, s});
  }
  std::sort(out.begin(), out.end(), better);
  if (static_cast<int>(sg.size()) >= k + kMargin) {
    const float bar = static_cast<int>(out.size()) >= k ? out[static_cast<size_t>(k - 1)].score : min_sim;
    if (!(sg.back().score < bar - 2 * tol)) {
      ++*rescans;
      out.clear();
      for (const index::Id pos : candidates) {
        const float s = score(pos);
        if (s >= min_sim) out.push_back({pos, s});
      }
      std::sort(out.begin(), out.end(), better);
    }
  }
  if (static_cast<int>(out.size()) > k) out.resize(static_cast<size_t>(k));
  return out;
}

// Both directions' exact lists, by row of the call (rows of A, rows of B); empty when the call
// had no pairs.
struct Lists {
  std::vector<HitList> a_to_b, b_to_a;
};

const HitList& row(const std::vector<HitList>& lists, size_t i) {
  static const HitList none;
  return i < lists.size() ? lists[i] : none;
}

// Rows `rows` of a vector set, in the given order.
std::vector<float> gather(const VectorSet& v, const std::vector<index::Id>& rows) {
  std::vector<float> out(rows.size() * static_cast<size_t>(v.dim));
  for (size_t i = 0; i < rows.size(); ++i) {
    std::memcpy(out.data() + i * static_cast<size_t>(v.dim),
                v.values.data() + static_cast<size_t>(rows[i]) * static_cast<size_t>(v.dim),
                static_cast<size_t>(v.dim) * sizeof(float));
  }
  return out;
}

// The two statements both passes write with.
store::Statement insert_match(store::Database& db) {
  return db.prepare(
      "INSERT INTO matches (direction, region_id, product_id, rank, score, run_id)"
      " VALUES (?,?,?,?,?,?)");
}
store::Statement set_region_category(store::Database& db) {
  return db.prepare("UPDATE regions SET category = ?, category_confidence = ? WHERE id = ?");
}

class MatchStage : public Stage {
 public:
  std::string name() const override { return "match"; }
  std::string backend(const config::Config&) const override { return "exact:sgemm"; }
  std::string model_id() const override { return model_; }

  StageResult run(StageContext& ctx) override {
    StageResult result;
    auto& db = ctx.store.db();
    model_ = current_product_model(db);
    if (model_.empty()) {
      result.stats["note"] = "no product embeddings yet: run the embed stage";
      return result;
    }
    const VectorSet products = load_vectors(db, "product", model_);
    const VectorSet regions = load_vectors(db, "region", model_);
    result.input_rows = static_cast<std::int64_t>(products.ids.size() + regions.ids.size());
    const int k_rp = static_cast<int>(ctx.config.get_int("match.products_per_region"));
    const int k_pr = static_cast<int>(ctx.config.get_int("match.regions_per_product"));
    const auto min_sim = static_cast<float>(ctx.config.get_double("match.min_similarity"));
    const bool consistent = ctx.config.get_bool("match.category_consistent");
    const std::string settings = ctx.config.section_json("match").dump();

    std::map<std::string, std::string> category;  // product id -> category
    {
      auto st = db.prepare("SELECT id, category FROM products");
      while (st.step()) category[st.column_text(0)] = st.column_text(1);
    }
    const std::string fp =
        fingerprint({model_, items_hash(products.ids, products.sources),
                     items_hash(regions.ids, regions.sources), settings,
                     categories_hash(products.ids, category)});
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
      add = additions(db, products, regions, category, settings, state->fingerprint, p);
    }
    Counters c;
    const auto t0 = std::chrono::steady_clock::now();
    if (add && !incremental(ctx, products, regions, category, p, *add, &c)) add.reset();
    if (!add) full(ctx, products, regions, category, p, &c);
    set_item_state(db, "match", "all", fp, "ok", "", ctx.run_id);
    c.tx->commit();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.output_rows = c.written;
    result.stats["model"] = model_;
    result.stats["mode"] = add ? "incremental" : "full";
    result.stats["pairs_scored"] = c.pairs_scored;
    result.stats["lists_rescanned"] = c.rescans;
    result.stats["products"] = products.ids.size();
    result.stats["regions"] = regions.ids.size();
    if (add) {
      result.stats["new_products"] = add->new_products.size();
      result.stats["new_regions"] = add->new_regions.size();
      result.stats["lists_rewritten"] = c.lists_rewritten;
      result.skipped_rows = result.input_rows -
                            static_cast<std::int64_t>(add->new_products.size() + add->new_regions.size());
    }
    result.stats["regions_categorised"] = c.categorised;
    result.stats["kernel_seconds"] = c.kernel_s;
    result.stats["gemm"] = gemm::describe();
    result.stats["match_seconds"] = seconds;
    if (!add) {
      result.stats["mean_top1_score"] =
          regions.ids.empty() ? 0.0 : c.top1_sum / static_cast<double>(regions.ids.size());
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
    std::unique_ptr<store::Transaction> tx;
    std::int64_t written = 0, categorised = 0, pairs_scored = 0, lists_rewritten = 0;
    std::int64_t rescans = 0;  // lists scored exactly over all candidates (ties at the k-th place)
    double top1_sum = 0, kernel_s = 0;
  };

  // Whether the change since the last successful match is purely additive, and if so which vectors
  // are new. nullopt: take the full pass.
  std::optional<Additions> additions(store::Database& db, const VectorSet& products,
                                     const VectorSet& regions,
                                     std::map<std::string, std::string>& category,
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
    // The item rows must describe exactly what the stored match was computed from, under the
    // current model, settings and categories (also rejects a state written without item rows).
    if (fingerprint({model_, items_hash(old_pid, old_psrc), items_hash(old_rid, old_rsrc), settings,
                     categories_hash(old_pid, category)}) != stored_fp) {
      return std::nullopt;
    }
    Additions a;
    // Both lists are in id order: walk them together. Every old item must still be there, unchanged.
    auto split = [](const VectorSet& cur, const std::vector<std::string>& ids,
                    const std::vector<std::string>& srcs, std::vector<index::Id>* fresh,
                    std::vector<index::Id>* old) {
      size_t j = 0;
      for (size_t i = 0; i < cur.ids.size(); ++i) {
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
    // A region's stored list under category_consistent is filtered: not enough to merge new products.
    if (p.consistent && !a.new_products.empty() && !a.old_regions.empty()) return std::nullopt;
    if (a.new_products.empty() && a.new_regions.empty()) return std::nullopt;
    return a;
  }

  // Writes region r's rows and category from its unfiltered candidates (best first), as the full
  // pass always has.
  void write_region(StageContext& ctx, const VectorSet& products, const VectorSet& regions,
                    std::map<std::string, std::string>& category, const Params& p, size_t r,
                    const HitList& hits, store::Statement& ins, store::Statement& set_cat,
                    Counters* c) {
    // Similarity-weighted vote over the top k_rp hits.
    std::map<std::string, double> votes;
    double total = 0;
    for (size_t i = 0; i < hits.size() && static_cast<int>(i) < p.k_rp; ++i) {
      const double w = std::max(0.0f, hits[i].score);
      votes[category[products.ids[static_cast<size_t>(hits[i].pos)]]] += w;
      total += w;
    }
    std::string winner;
    double best = -1;
    for (const auto& [cat, w] : votes) {
      if (w > best) {
        best = w;
        winner = cat;
      }
    }
    const auto region_id = static_cast<std::int64_t>(std::stoll(regions.ids[r]));
    if (!winner.empty() && total > 0) {
      set_cat.bind(1, winner).bind(2, best / total).bind(3, region_id);
      set_cat.run();
      ++c->categorised;
    }
    int rank = 0;
    for (const auto& [pos, score] : hits) {
      if (rank >= p.k_rp) break;
      const std::string& pid = products.ids[static_cast<size_t>(pos)];
      if (p.consistent && category[pid] != winner) continue;
      ins.bind(1, "region_to_product").bind(2, region_id).bind(3, pid).bind(4, ++rank)
          .bind(5, static_cast<double>(score)).bind(6, ctx.run_id);
      ins.run();
      ++c->written;
      if (rank == 1) c->top1_sum += score;
    }
  }

  void write_product(StageContext& ctx, const VectorSet& products, const VectorSet& regions,
                     size_t pi, const HitList& hits, store::Statement& ins, Counters* c) {
    int rank = 0;
    for (const auto& [pos, score] : hits) {
      ins.bind(1, "product_to_region")
          .bind(2, static_cast<std::int64_t>(std::stoll(regions.ids[static_cast<size_t>(pos)])))
          .bind(3, products.ids[pi]).bind(4, ++rank).bind(5, static_cast<double>(score))
          .bind(6, ctx.run_id);
      ins.run();
      ++c->written;
    }
  }

  // Regions `rpos` × products `ppos`: each region's best k_ab products, each product's best k_pr
  // regions, with canonical scores.
  Lists cross(const VectorSet& regions, const std::vector<index::Id>& rpos, const VectorSet& products,
              const std::vector<index::Id>& ppos, int k_ab, const Params& p, Counters* c) {
    Lists lists;
    if (rpos.empty() || ppos.empty()) return lists;
    const int dim = std::max(products.dim, regions.dim);
    // Bound on |sgemm score - exact dot| for unit vectors (about dim × float epsilon), with room.
    const float tol = 1e-6f + static_cast<float>(dim) * 1.2e-7f;
    index::CrossOptions co;
    co.k_ab = k_ab + kMargin;
    co.k_ba = p.k_pr > 0 ? p.k_pr + kMargin : 0;
    co.min_score = std::max(-2.0f, p.min_sim - 2 * tol);
    co.threads = p.threads;
    const auto t0 = std::chrono::steady_clock::now();
    const bool all_r = rpos.size() == regions.ids.size(), all_p = ppos.size() == products.ids.size();
    std::vector<float> rv, pv;
    if (!all_r) rv = gather(regions, rpos);
    if (!all_p) pv = gather(products, ppos);
    const auto out = index::cross_search(rpos, all_r ? std::span<const float>(regions.values) : rv, ppos,
                                         all_p ? std::span<const float>(products.values) : pv, dim, co);
    std::atomic<std::int64_t> rescans{0};
    lists.a_to_b.resize(rpos.size());
    parallel_for(static_cast<std::int64_t>(rpos.size()), p.threads, [&](std::int64_t i) {
      const float* q = regions.values.data() + static_cast<size_t>(rpos[static_cast<size_t>(i)]) * static_cast<size_t>(dim);
      lists.a_to_b[static_cast<size_t>(i)] =
          refine(q, products, ppos, hits_of(out.a_to_b, static_cast<size_t>(i)), k_ab, p.min_sim, tol, &rescans);
    });
    if (p.k_pr > 0) {
      lists.b_to_a.resize(ppos.size());
      parallel_for(static_cast<std::int64_t>(ppos.size()), p.threads, [&](std::int64_t j) {
        const float* q = products.values.data() + static_cast<size_t>(ppos[static_cast<size_t>(j)]) * static_cast<size_t>(dim);
        lists.b_to_a[static_cast<size_t>(j)] =
            refine(q, regions, rpos, hits_of(out.b_to_a, static_cast<size_t>(j)), p.k_pr, p.min_sim, tol, &rescans);
      });
    }
    c->kernel_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    c->pairs_scored += static_cast<std::int64_t>(rpos.size() * ppos.size());
    c->rescans += rescans.load();
    return lists;
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

  static std::vector<index::Id> all_rows(size_t n) {
    std::vector<index::Id> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<index::Id>(i);
    return v;
  }

  void full(StageContext& ctx, const VectorSet& products, const VectorSet& regions,
            std::map<std::string, std::string>& category, const Params& p, Counters* c) {
    auto& db = ctx.store.db();
    const auto region_pos = all_rows(regions.ids.size()), product_pos = all_rows(products.ids.size());
    const Lists lists = cross(regions, region_pos, products, product_pos, p.k_search, p, c);

    c->tx = std::make_unique<store::Transaction>(db);
    db.exec("DELETE FROM matches");
    db.exec("DELETE FROM stage_items WHERE stage = 'match' AND item_id <> 'all'");
    auto ins = insert_match(db);
    auto set_cat = set_region_category(db);
    for (size_t r = 0; r < regions.ids.size(); ++r) {
      write_region(ctx, products, regions, category, p, r, row(lists.a_to_b, r), ins, set_cat, c);
    }
    for (size_t pi = 0; pi < products.ids.size(); ++pi) {
      write_product(ctx, products, regions, pi, row(lists.b_to_a, pi), ins, c);
    }
    record_items(db, products, "product:", product_pos, ctx.run_id);
    record_items(db, regions, "region:", region_pos, ctx.run_id);
  }

  // Returns false (nothing written) when the stored lists do not fit the vector sets.
  bool incremental(StageContext& ctx, const VectorSet& products, const VectorSet& regions,
                   std::map<std::string, std::string>& category, const Params& p,
                   const Additions& a, Counters* c) {
    auto& db = ctx.store.db();
    std::unordered_map<std::string, index::Id> product_at;
    std::unordered_map<std::int64_t, index::Id> region_at;
    for (size_t i = 0; i < products.ids.size(); ++i) product_at[products.ids[i]] = static_cast<index::Id>(i);
    for (size_t i = 0; i < regions.ids.size(); ++i) {
      region_at[std::stoll(regions.ids[i])] = static_cast<index::Id>(i);
    }
    // Stored lists of one direction, by the position of their owner (best first).
    bool fits = true;
    auto stored = [&](const char* direction, bool by_region) {
      std::unordered_map<index::Id, HitList> lists;
      auto st = db.prepare(
          "SELECT region_id, product_id, score FROM matches WHERE direction = ? ORDER BY " +
          std::string(by_region ? "region_id" : "product_id") + ", rank");
      st.bind(1, direction);
      while (st.step()) {
        const auto r = region_at.find(st.column_int(0));
        const auto pr = product_at.find(st.column_text(1));
        if (r == region_at.end() || pr == product_at.end()) {
          fits = false;
          continue;
        }
        const auto score = static_cast<float>(st.column_double(2));
        if (by_region) {
          lists[r->second].push_back({pr->second, score});
        } else {
          lists[pr->second].push_back({r->second, score});
        }
      }
      return lists;
    };
    const bool merge_regions = !a.new_products.empty() && !a.old_regions.empty();
    const bool merge_products = p.k_pr > 0 && !a.new_regions.empty() && !a.old_products.empty();
    std::unordered_map<index::Id, HitList> region_lists, product_lists;
    if (merge_regions) region_lists = stored("region_to_product", true);
    if (merge_products) product_lists = stored("product_to_region", false);
    if (!fits) return false;

    const auto all_products = all_rows(products.ids.size());
    // New regions × all products: the new regions' lists, and every product's best new regions.
    const Lists nr = cross(regions, a.new_regions, products, all_products, p.k_search, p, c);
    // Old regions × new products: each old region's best new products (category_consistent is off
    // here whenever there are any), and the new products' best old regions.
    const Lists np = cross(regions, a.old_regions, products, a.new_products, p.k_rp, p, c);

    c->tx = std::make_unique<store::Transaction>(db);
    auto ins = insert_match(db);
    auto set_cat = set_region_category(db);

    // Region -> product.
    for (size_t i = 0; i < a.new_regions.size(); ++i) {
      write_region(ctx, products, regions, category, p, static_cast<size_t>(a.new_regions[i]),
                   row(nr.a_to_b, i), ins, set_cat, c);
    }
    if (merge_regions) {
      auto& lists = region_lists;
      auto del = db.prepare("DELETE FROM matches WHERE direction = 'region_to_product' AND region_id = ?");
      for (size_t i = 0; i < a.old_regions.size(); ++i) {
        const index::Id r = a.old_regions[i];
        const HitList& old = lists[r];
        HitList merged = merge_top(old, row(np.a_to_b, i), p.k_rp);
        if (same_list(old, merged)) continue;
        del.bind(1, static_cast<std::int64_t>(std::stoll(regions.ids[static_cast<size_t>(r)])));
        del.run();
        write_region(ctx, products, regions, category, p, static_cast<size_t>(r), merged, ins, set_cat, c);
        ++c->lists_rewritten;
      }
    }
    // Product -> region.
    if (p.k_pr > 0) {
      // Candidates among new regions, by product position (nr covers all products).
      auto new_region_hits = [&](index::Id pi) {
        return row(nr.b_to_a, static_cast<size_t>(pi));
      };
      for (size_t i = 0; i < a.new_products.size(); ++i) {
        const index::Id pi = a.new_products[i];
        const HitList old_side = row(np.b_to_a, i);
        write_product(ctx, products, regions, static_cast<size_t>(pi),
                      merge_top(old_side, new_region_hits(pi), p.k_pr), ins, c);
      }
      if (merge_products) {
        auto& lists = product_lists;
        auto del = db.prepare("DELETE FROM matches WHERE product_id = ? AND direction = 'product_to_region'");
        for (const index::Id pi : a.old_products) {
          const HitList& old = lists[pi];
          HitList merged = merge_top(old, new_region_hits(pi), p.k_pr);
          if (same_list(old, merged)) continue;
          del.bind(1, products.ids[static_cast<size_t>(pi)]);
          del.run();
          write_product(ctx, products, regions, static_cast<size_t>(pi), merged, ins, c);
          ++c->lists_rewritten;
        }
      }
    }
    record_items(db, products, "product:", a.new_products, ctx.run_id);
    record_items(db, regions, "region:", a.new_regions, ctx.run_id);
    return true;
  }

  std::string model_;
};

}  // namespace

std::unique_ptr<Stage> make_match_stage() { return std::make_unique<MatchStage>(); }

}  // namespace ensemble::pipeline
