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
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string_view>
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

// The vectors of one kind under one model. list_vectors() reads the ids and sources only (small
// columns: what the skip check and the incremental decision need); load_rows() then reads the
// vectors a pass needs (every row, or in an incremental pass often only the new ones).
struct VectorSet {
  std::vector<std::string> ids;      // id order
  std::vector<std::string> sources;  // source_sha per id
  std::vector<std::int64_t> numbers;  // regions only: ids[i] as a number (regions.id)
  int dim = 0;
  std::vector<float> values;         // the loaded rows, dim floats each
  std::vector<std::int32_t> slot;    // position -> row of `values` (-1: not loaded); empty: all, in order

  size_t size() const { return ids.size(); }
  bool all_loaded() const { return slot.empty() && values.size() == ids.size() * static_cast<size_t>(dim); }
  // REQUIRES: row `pos` loaded.
  const float* row(index::Id pos) const {
    const auto r = slot.empty() ? static_cast<size_t>(pos) : static_cast<size_t>(slot[static_cast<size_t>(pos)]);
    return values.data() + r * static_cast<size_t>(dim);
  }
};

std::vector<index::Id> all_rows(size_t n) {
  std::vector<index::Id> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<index::Id>(i);
  return v;
}

// Ids, sources and the dimension of every vector of a kind for one model, ordered by owner id.
VectorSet list_vectors(store::Database& db, const std::string& kind, const std::string& model) {
  VectorSet v;
  auto st = db.prepare(
      "SELECT owner_id, source_sha, dim FROM embeddings WHERE owner_kind = ? AND model_id = ?"
      " ORDER BY owner_id");
  st.bind(1, kind).bind(2, model);
  while (st.step()) {
    const int dim = static_cast<int>(st.column_int(2));
    if (v.dim == 0) v.dim = dim;
    if (dim != v.dim) throw Error(ErrorCode::kBadInput, "embeddings of mixed dimensions for " + model);
    v.ids.push_back(st.column_text(0));
    v.sources.push_back(st.column_text(1));
  }
  if (kind == "region") {
    v.numbers.reserve(v.ids.size());
    for (const auto& id : v.ids) {
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
      if (ec != std::errc() || end != id.data() + id.size()) {
        throw Error(ErrorCode::kBadInput, "region embedding with a non-numeric owner id: " + id);
      }
      v.numbers.push_back(n);
    }
  }
  return v;
}

// Reads the vectors of rows `rows` (positions, ascending) of `v`. A few rows are looked up one by
// one; many are read in one ordered pass over the kind's rows.
void load_rows(store::Database& db, const std::string& kind, const std::string& model, VectorSet& v,
               const std::vector<index::Id>& rows) {
  const size_t dim = static_cast<size_t>(v.dim);
  v.values.assign(rows.size() * dim, 0.0f);
  v.slot.clear();
  if (rows.size() != v.size()) {
    v.slot.assign(v.size(), -1);
    for (size_t i = 0; i < rows.size(); ++i) v.slot[static_cast<size_t>(rows[i])] = static_cast<std::int32_t>(i);
  }
  // The source is read again with the vector: the pair must be the one list_vectors() saw.
  auto take = [&](const store::Statement& st, size_t i, size_t pos) {
    int bytes = 0;
    const void* p = st.column_blob_ptr(0, &bytes);
    if (bytes != static_cast<int>(dim * sizeof(float))) {
      throw Error(ErrorCode::kBadInput, "corrupt embedding for " + kind + " " + v.ids[pos]);
    }
    if (st.column_text(1) != v.sources[pos]) {
      throw Error(ErrorCode::kConflict, "embeddings changed while the match stage read them");
    }
    std::memcpy(v.values.data() + i * dim, p, dim * sizeof(float));
  };
  if (rows.size() * 4 < v.size()) {
    auto st = db.prepare(
        "SELECT vector, source_sha FROM embeddings WHERE owner_kind = ? AND owner_id = ? AND model_id = ?");
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto pos = static_cast<size_t>(rows[i]);
      st.bind(1, kind).bind(2, v.ids[pos]).bind(3, model);
      if (!st.step()) throw Error(ErrorCode::kConflict, "embeddings changed while the match stage read them");
      take(st, i, pos);
      st.reset();
    }
    return;
  }
  auto st = db.prepare(
      "SELECT vector, source_sha, owner_id FROM embeddings WHERE owner_kind = ? AND model_id = ?"
      " ORDER BY owner_id");
  st.bind(1, kind).bind(2, model);
  size_t pos = 0, i = 0;
  for (; st.step() && i < rows.size(); ++pos) {
    if (pos >= v.size() || st.column_text(2) != v.ids[pos]) {
      throw Error(ErrorCode::kConflict, "embeddings changed while the match stage read them");
    }
    if (static_cast<size_t>(rows[i]) == pos) take(st, i++, pos);
  }
  if (i != rows.size()) throw Error(ErrorCode::kConflict, "embeddings changed while the match stage read them");
}

// Hash of "id:source" lines of the given rows, in id order (as list_vectors and the stored item
// rows give them).
std::string items_hash(const VectorSet& v, const std::vector<index::Id>& rows) {
  std::string digest_input;
  for (const index::Id i : rows) {
    digest_input += v.ids[static_cast<size_t>(i)];
    digest_input += ':';
    digest_input += v.sources[static_cast<size_t>(i)];
    digest_input += '\n';
  }
  return sha256_hex(digest_input);
}

// The products' categories (the vote depends on them) as numbers: names are sorted, so walking the
// numbers in order walks the names in order. A product without a catalog row has category "".
struct Categories {
  std::vector<std::string> names;  // sorted, distinct, names[0] == ""
  std::vector<std::int32_t> of;    // per product position
  const std::string& name(index::Id product) const { return names[static_cast<size_t>(of[static_cast<size_t>(product)])]; }
};

Categories load_categories(store::Database& db, const VectorSet& products,
                           const std::unordered_map<std::string_view, index::Id>& product_at) {
  std::vector<std::string> by_pos(products.size());
  auto st = db.prepare("SELECT id, category FROM products");
  while (st.step()) {
    const auto it = product_at.find(st.column_text(0));
    if (it != product_at.end()) by_pos[static_cast<size_t>(it->second)] = st.column_text(1);
  }
  Categories c;
  c.names = by_pos;
  c.names.emplace_back();
  std::sort(c.names.begin(), c.names.end());
  c.names.erase(std::unique(c.names.begin(), c.names.end()), c.names.end());
  c.of.reserve(by_pos.size());
  for (const auto& name : by_pos) {
    c.of.push_back(static_cast<std::int32_t>(std::lower_bound(c.names.begin(), c.names.end(), name) - c.names.begin()));
  }
  return c;
}

// Hash of the categories of the given products.
std::string categories_hash(const VectorSet& products, const Categories& cats,
                            const std::vector<index::Id>& rows) {
  std::string digest_input;
  for (const index::Id i : rows) {
    digest_input += products.ids[static_cast<size_t>(i)];
    digest_input += '\t';
    digest_input += cats.name(i);
    digest_input += '\n';
  }
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
HitList merge_top(std::span<const Hit> a, std::span<const Hit> b, int k) {
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

bool same_list(std::span<const Hit> a, std::span<const Hit> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].pos != b[i].pos) return false;
  }
  return true;
}

// Where `pos` is in `list`, or -1.
int find_pos(std::span<const Hit> list, index::Id pos) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].pos == pos) return static_cast<int>(i);
  }
  return -1;
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
// a pair scores the same in a full pass and in an incremental one. Four rows at a time: each sum is
// still accumulated in index order (so the same value as one at a time; a float × float product is
// exact in double, so a fused multiply-add cannot change it either); the four independent sums
// only let the CPU overlap their additions.
void canonical_dots(const float* query, const VectorSet& other, const index::Id* pos, size_t n,
                    float* out) {
  const int dim = other.dim;
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *b0 = other.row(pos[j]), *b1 = other.row(pos[j + 1]), *b2 = other.row(pos[j + 2]),
                *b3 = other.row(pos[j + 3]);
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int i = 0; i < dim; ++i) {
      const auto a = static_cast<double>(query[i]);
      s0 += a * static_cast<double>(b0[i]);
      s1 += a * static_cast<double>(b1[i]);
      s2 += a * static_cast<double>(b2[i]);
      s3 += a * static_cast<double>(b3[i]);
    }
    out[j] = static_cast<float>(s0);
    out[j + 1] = static_cast<float>(s1);
    out[j + 2] = static_cast<float>(s2);
    out[j + 3] = static_cast<float>(s3);
  }
  for (; j < n; ++j) {
    const float* b = other.row(pos[j]);
    double s = 0;
    for (int i = 0; i < dim; ++i) s += static_cast<double>(query[i]) * static_cast<double>(b[i]);
    out[j] = static_cast<float>(s);
  }
}

// Extra candidates fetched from the sgemm pass beyond k, so that the canonical top k is among them.
constexpr int kMargin = 8;

constexpr float kNoFloor = -std::numeric_limits<float>::infinity();

// The exact top k (canonical scores >= min_sim; score desc, position asc) of `query` among the
// rows `candidates` of `other`, given `sg`: the sgemm pass's best (k + kMargin) of them with
// scores within `tol` of the canonical ones. When the sgemm list cannot prove that nothing outside
// it belongs (its last score is not clearly below the k-th canonical score), every candidate is
// scored canonically. `floor`: the caller only wants candidates scoring at least that (the k-th
// score of a stored list they would merge into); when the best sgemm score is clearly below it,
// the list is empty.
HitList refine(const float* query, const VectorSet& other, const std::vector<index::Id>& candidates,
               const HitList& sg, int k, float min_sim, float tol, float floor,
               std::atomic<std::int64_t>* rescans) {
  if (sg.empty() || sg.front().score < floor - 2 * tol) return {};
  auto scored = [&](const index::Id* pos, size_t n) {
    std::vector<float> s(n);
    canonical_dots(query, other, pos, n, s.data());
    HitList out;
    for (size_t i = 0; i < n; ++i) {
      if (s[i] >= min_sim) out.push_back({pos[i], s[i]});
    }
    std::sort(out.begin(), out.end(), better);
    return out;
  };
  std::vector<index::Id> sg_pos(sg.size());
  for (size_t i = 0; i < sg.size(); ++i) sg_pos[i] = sg[i].pos;
  HitList out = scored(sg_pos.data(), sg_pos.size());
  if (static_cast<int>(sg.size()) >= k + kMargin) {
    const float bar = static_cast<int>(out.size()) >= k ? out[static_cast<size_t>(k - 1)].score : min_sim;
    if (!(sg.back().score < bar - 2 * tol)) {
      ++*rescans;
      out = scored(candidates.data(), candidates.size());
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
    std::memcpy(out.data() + i * static_cast<size_t>(v.dim), v.row(rows[i]),
                static_cast<size_t>(v.dim) * sizeof(float));
  }
  return out;
}

// Stored lists of one direction by owner position (a region's or a product's), best first.
struct StoredLists {
  int k = 0;
  std::vector<Hit> hits;               // owner × k, in rank order
  std::vector<std::int64_t> rowids;    // owner × k: the row of each hit in `matches`
  std::vector<std::int32_t> len;       // per owner
  std::span<const Hit> of(index::Id owner) const {
    return {hits.data() + static_cast<size_t>(owner) * static_cast<size_t>(k),
            static_cast<size_t>(len[static_cast<size_t>(owner)])};
  }
  std::span<const std::int64_t> rows_of(index::Id owner) const {
    return {rowids.data() + static_cast<size_t>(owner) * static_cast<size_t>(k),
            static_cast<size_t>(len[static_cast<size_t>(owner)])};
  }
  // The score a candidate must reach to enter a full list of `owner` (none while it is not full).
  float floor(index::Id owner) const {
    const auto l = of(owner);
    return k > 0 && static_cast<int>(l.size()) == k ? l.back().score : kNoFloor;
  }
};

// Match rows, keyed by (direction, region id, product id), written with the run's id.
class MatchWriter {
 public:
  MatchWriter(store::Database& db, std::int64_t run_id)
      : ins_(db.prepare("INSERT INTO matches (direction, region_id, product_id, rank, score, run_id)"
                        " VALUES (?,?,?,?,?,?)")),
        del_(db.prepare("DELETE FROM matches WHERE rowid = ?")),
        rerank_(db.prepare("UPDATE matches SET rank = ?, run_id = ? WHERE rowid = ?")),
        to_product_(db.prepare("UPDATE matches SET product_id = ?, rank = ?, score = ?, run_id = ?"
                               " WHERE rowid = ?")),
        to_region_(db.prepare("UPDATE matches SET region_id = ?, rank = ?, score = ?, run_id = ?"
                              " WHERE rowid = ?")),
        run_id_(run_id) {}

  void insert(const char* direction, std::int64_t region, std::string_view product, int rank, float score) {
    ins_.bind(1, direction).bind(2, region).bind(3, product).bind(4, rank)
        .bind(5, static_cast<double>(score)).bind(6, run_id_);
    ins_.run();
    ++written;
  }

  // Turn a stored list `old` (its rows in `matches`: `rowids`) into `merged`, both best first:
  // region `region`'s list of products, or product `product`'s list of regions.
  void rewrite_region_list(std::int64_t region, std::span<const Hit> old, std::span<const std::int64_t> rowids,
                           std::span<const Hit> merged, const VectorSet& products) {
    rewrite(old, rowids, merged, [&](const Hit& h, int rank, const std::int64_t* row) {
      const std::string& product = products.ids[static_cast<size_t>(h.pos)];
      if (row == nullptr) return insert("region_to_product", region, product, rank, h.score);
      to_product_.bind(1, product).bind(2, rank).bind(3, static_cast<double>(h.score)).bind(4, run_id_)
          .bind(5, *row);
      to_product_.run();
      ++written;
    });
  }
  void rewrite_product_list(std::string_view product, std::span<const Hit> old,
                            std::span<const std::int64_t> rowids, std::span<const Hit> merged,
                            const VectorSet& regions) {
    rewrite(old, rowids, merged, [&](const Hit& h, int rank, const std::int64_t* row) {
      const std::int64_t region = regions.numbers[static_cast<size_t>(h.pos)];
      if (row == nullptr) return insert("product_to_region", region, product, rank, h.score);
      to_region_.bind(1, region).bind(2, rank).bind(3, static_cast<double>(h.score)).bind(4, run_id_)
          .bind(5, *row);
      to_region_.run();
      ++written;
    });
  }

  std::int64_t written = 0;  // rows inserted or updated

 private:
  // With as few row writes as it takes: an entry that joined takes over the row of one that left
  // (only its other-side id, rank and score change), else it is inserted (`join`, with the row to
  // take over or nullptr); an entry that stayed but moved gets its new rank; rows of entries that
  // left and were not taken over are deleted; the rest are left as they are.
  template <typename Join>
  void rewrite(std::span<const Hit> old, std::span<const std::int64_t> rowids, std::span<const Hit> merged,
               Join join) {
    std::vector<std::int64_t> free;
    for (size_t i = 0; i < old.size(); ++i) {
      if (find_pos(merged, old[i].pos) < 0) free.push_back(rowids[i]);
    }
    for (size_t j = 0; j < merged.size(); ++j) {
      const int was = find_pos(old, merged[j].pos);
      const int rank = static_cast<int>(j) + 1;
      if (was == static_cast<int>(j)) continue;
      if (was >= 0) {
        rerank_.bind(1, rank).bind(2, run_id_).bind(3, rowids[static_cast<size_t>(was)]);
        rerank_.run();
        ++written;
      } else if (free.empty()) {
        join(merged[j], rank, nullptr);
      } else {
        join(merged[j], rank, &free.back());
        free.pop_back();
      }
    }
    for (const std::int64_t row : free) {
      del_.bind(1, row);
      del_.run();
    }
  }

  store::Statement ins_, del_, rerank_, to_product_, to_region_;
  std::int64_t run_id_;
};

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
    const PageCacheAtLeast cache(db, 64 * 1024);
    const auto t0 = std::chrono::steady_clock::now();
    if (add && !incremental(ctx, products, regions, product_at, cats, p, *add, &c)) add.reset();
    if (!add) full(ctx, products, regions, cats, p, &c);
    set_item_state(db, "match", "all", fp, "ok", "", ctx.run_id);
    c.tx->commit();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.output_rows = c.written;
    result.stats["model"] = model_;
    result.stats["mode"] = add ? "incremental" : "full";
    result.stats["pairs_scored"] = c.pairs_scored;
    result.stats["lists_rescanned"] = c.rescans;
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
    result.stats["kernel_seconds"] = c.kernel_s;
    result.stats["gemm"] = gemm::describe();
    result.stats["match_seconds"] = seconds;
    if (!add) {
      result.stats["mean_top1_score"] =
          regions.ids.empty() ? 0.0 : c.top1_sum / static_cast<double>(regions.size());
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

  // Regions `rpos` × products `ppos`: each region's best k_ab products, each product's best k_pr
  // regions, with canonical scores. floor_a / floor_b (per row of rpos / ppos, or empty): the
  // score below which that row's list is not wanted (see refine).
  Lists cross(const VectorSet& regions, const std::vector<index::Id>& rpos, const VectorSet& products,
              const std::vector<index::Id>& ppos, int k_ab, const Params& p, Counters* c,
              const std::vector<float>& floor_a = {}, const std::vector<float>& floor_b = {}) {
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
    const bool all_r = rpos.size() == regions.size() && regions.all_loaded();
    const bool all_p = ppos.size() == products.size() && products.all_loaded();
    std::vector<float> rv, pv;
    if (!all_r) rv = gather(regions, rpos);
    if (!all_p) pv = gather(products, ppos);
    const auto out = index::cross_search(rpos, all_r ? std::span<const float>(regions.values) : rv, ppos,
                                         all_p ? std::span<const float>(products.values) : pv, dim, co);
    std::atomic<std::int64_t> rescans{0};
    auto floor_of = [](const std::vector<float>& floors, std::int64_t i) {
      return floors.empty() ? kNoFloor : floors[static_cast<size_t>(i)];
    };
    lists.a_to_b.resize(rpos.size());
    parallel_for(static_cast<std::int64_t>(rpos.size()), p.threads, [&](std::int64_t i) {
      lists.a_to_b[static_cast<size_t>(i)] =
          refine(regions.row(rpos[static_cast<size_t>(i)]), products, ppos, hits_of(out.a_to_b, static_cast<size_t>(i)),
                 k_ab, p.min_sim, tol, floor_of(floor_a, i), &rescans);
    });
    if (p.k_pr > 0) {
      lists.b_to_a.resize(ppos.size());
      parallel_for(static_cast<std::int64_t>(ppos.size()), p.threads, [&](std::int64_t j) {
        lists.b_to_a[static_cast<size_t>(j)] =
            refine(products.row(ppos[static_cast<size_t>(j)]), regions, rpos, hits_of(out.b_to_a, static_cast<size_t>(j)),
                   p.k_pr, p.min_sim, tol, floor_of(floor_b, j), &rescans);
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

  void full(StageContext& ctx, VectorSet& products, VectorSet& regions, const Categories& cats,
            const Params& p, Counters* c) {
    auto& db = ctx.store.db();
    const auto region_pos = all_rows(regions.size()), product_pos = all_rows(products.size());
    load_rows(db, "product", model_, products, product_pos);
    load_rows(db, "region", model_, regions, region_pos);
    const Lists lists = cross(regions, region_pos, products, product_pos, p.k_search, p, c);

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

  // Reads the stored lists the incremental pass merges into: region -> product into *rp (when
  // rp->k > 0), product -> region into *pr (when pr->k > 0). One pass over the table (its index
  // by direction would cost a row lookup per entry). False when they do not fit the vector sets.
  static bool read_stored(store::Database& db, const VectorSet& products, const VectorSet& regions,
                          const std::unordered_map<std::string_view, index::Id>& product_at,
                          StoredLists* rp, StoredLists* pr) {
    std::unordered_map<std::int64_t, index::Id> region_at;
    region_at.reserve(regions.size());
    for (size_t i = 0; i < regions.size(); ++i) region_at.emplace(regions.numbers[i], static_cast<index::Id>(i));
    for (StoredLists* s : {rp, pr}) {
      const size_t owners = s == rp ? regions.size() : products.size();
      s->hits.assign(s->k > 0 ? owners * static_cast<size_t>(s->k) : 0, Hit{-1, 0});
      s->rowids.assign(s->hits.size(), 0);
      s->len.assign(s->k > 0 ? owners : 0, 0);
    }
    std::string sql =
        "SELECT direction = 'product_to_region', region_id, product_id, rank, score, rowid FROM matches"
        " NOT INDEXED";
    if (rp->k == 0) sql += " WHERE direction = 'product_to_region'";
    if (pr->k == 0) sql += " WHERE direction = 'region_to_product'";
    auto st = db.prepare(sql);
    while (st.step()) {
      const bool by_product = st.column_int(0) != 0;
      const auto r = region_at.find(st.column_int(1));
      const auto pi = product_at.find(st.column_text(2));
      if (r == region_at.end() || pi == product_at.end()) return false;
      StoredLists& s = by_product ? *pr : *rp;
      const std::int64_t rank = st.column_int(3);
      if (rank < 1 || rank > s.k) return false;
      const index::Id owner = by_product ? pi->second : r->second;
      const size_t at = static_cast<size_t>(owner) * static_cast<size_t>(s.k) + static_cast<size_t>(rank - 1);
      if (s.hits[at].pos >= 0) return false;  // two rows of one rank
      s.hits[at] = {by_product ? r->second : pi->second, static_cast<float>(st.column_double(4))};
      s.rowids[at] = st.column_int(5);
      ++s.len[static_cast<size_t>(owner)];
    }
    // Ranks 1..len of every list.
    for (const StoredLists* s : {rp, pr}) {
      for (size_t o = 0; o < s->len.size(); ++o) {
        for (int j = 0; j < s->len[o]; ++j) {
          if (s->hits[o * static_cast<size_t>(s->k) + static_cast<size_t>(j)].pos < 0) return false;
        }
      }
    }
    return true;
  }

  // Returns false (nothing written) when the stored lists do not fit the vector sets.
  bool incremental(StageContext& ctx, VectorSet& products, VectorSet& regions,
                   const std::unordered_map<std::string_view, index::Id>& product_at,
                   const Categories& cats, const Params& p, const Additions& a, Counters* c) {
    auto& db = ctx.store.db();
    const bool merge_regions = !a.new_products.empty() && !a.old_regions.empty();
    const bool merge_products = p.k_pr > 0 && !a.new_regions.empty() && !a.old_products.empty();
    StoredLists region_lists, product_lists;
    region_lists.k = merge_regions ? p.k_rp : 0;
    product_lists.k = merge_products ? p.k_pr : 0;
    if ((merge_regions || merge_products) &&
        !read_stored(db, products, regions, product_at, &region_lists, &product_lists)) {
      return false;
    }

    // Only the vectors the two cross calls below read: every product when there are new regions
    // (else the new ones), every region when there are new products (else the new ones).
    const auto all_products = all_rows(products.size());
    load_rows(db, "product", model_, products, a.new_regions.empty() ? a.new_products : all_products);
    load_rows(db, "region", model_, regions, a.new_products.empty() ? a.new_regions : all_rows(regions.size()));

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
    const Lists nr = cross(regions, a.new_regions, products, all_products, p.k_search, p, c, {}, product_floor);
    // Old regions × new products: each old region's best new products (category_consistent is off
    // here whenever there are any), and the new products' best old regions.
    const Lists np = cross(regions, a.old_regions, products, a.new_products, p.k_rp, p, c, region_floor);

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
