// The match stage's top-k lists (private to the pipeline module): computing them exactly for a
// block of region × product pairs (an sgemm pass, then canonical re-scoring), merging them, and
// reading and rewriting the stored lists in `matches`.
//
// Order everywhere: score desc, then position (in the id-ordered vector set of the other side)
// asc — `better`. Scores are canonical: the dot product accumulated in double in index order,
// rounded to float, so a pair scores the same whichever pass or block it was scored in.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ensemble/index/vector_index.h"
#include "ensemble/store/database.h"
#include "pipeline/match_vectors.h"

namespace ensemble::pipeline::match {

// One entry of a top list: a position in the (id-ordered) vector set of the other side.
struct Hit {
  index::Id pos;
  float score;
};
using HitList = std::vector<Hit>;

// The full pass's order: score desc, then position asc.
bool better(const Hit& a, const Hit& b);

// Top k of two disjoint lists, each already best first.
HitList merge_top(std::span<const Hit> a, std::span<const Hit> b, int k);

// Whether two lists hold the same positions in the same order (scores not compared).
bool same_list(std::span<const Hit> a, std::span<const Hit> b);

// "No floor": every candidate is wanted.
constexpr float kNoFloor = -std::numeric_limits<float>::infinity();

// Both directions' exact lists, by row of the call (rows of A, rows of B); empty when the call
// had no pairs.
struct Lists {
  std::vector<HitList> a_to_b, b_to_a;
};

// lists[i], or an empty list when `lists` has no row i.
const HitList& row(const std::vector<HitList>& lists, size_t i);

// What cross() did, added to the caller's running totals.
struct ScoreCounters {
  std::int64_t pairs_scored = 0;
  std::int64_t rescans = 0;  // lists scored exactly over all candidates (ties at the k-th place)
  double kernel_s = 0;       // seconds in cross() (sgemm and re-scoring)
};

// Regions `rpos` × products `ppos` (positions): each region's best k_ab products and,
// when k_ba > 0, each product's best k_ba regions, with canonical scores >= min_sim, in `better`
// order (a_to_b by row of rpos, b_to_a by row of ppos). floor_a / floor_b (per row of rpos / ppos,
// or empty): the score below which that row's list is not wanted — when its best candidate is
// clearly below it, the list comes back empty. `threads`: as parallel_for. REQUIRES: the rows
// `rpos` of `regions` and `ppos` of `products` loaded, both sets of one dimension (or empty).
Lists cross(const VectorSet& regions, const std::vector<index::Id>& rpos, const VectorSet& products,
            const std::vector<index::Id>& ppos, int k_ab, int k_ba, float min_sim, int threads,
            ScoreCounters* c, const std::vector<float>& floor_a = {}, const std::vector<float>& floor_b = {});

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

// Reads the stored lists the incremental pass merges into: region -> product into *rp (when
// rp->k > 0), product -> region into *pr (when pr->k > 0); the caller sets each k. One pass over
// the table (its index by direction would cost a row lookup per entry). `product_at`: product id
// -> position in `products`. False when they do not fit the vector sets (an unknown owner, a rank
// outside 1..k, a gap or a duplicate rank); *rp and *pr are then unspecified.
bool read_stored_lists(store::Database& db, const VectorSet& products, const VectorSet& regions,
                       const std::unordered_map<std::string_view, index::Id>& product_at,
                       StoredLists* rp, StoredLists* pr);

// Match rows, keyed by (direction, region id, product id), written with the run's id. Holds
// prepared statements on `db`: it must not outlive it. Not thread-safe.
class MatchWriter {
 public:
  MatchWriter(store::Database& db, std::int64_t run_id);

  void insert(const char* direction, std::int64_t region, std::string_view product, int rank, float score);

  // Turn a stored list `old` (its rows in `matches`: `rowids`) into `merged`, both best first:
  // region `region`'s list of products, or product `product`'s list of regions.
  void rewrite_region_list(std::int64_t region, std::span<const Hit> old, std::span<const std::int64_t> rowids,
                           std::span<const Hit> merged, const VectorSet& products);
  void rewrite_product_list(std::string_view product, std::span<const Hit> old,
                            std::span<const std::int64_t> rowids, std::span<const Hit> merged,
                            const VectorSet& regions);

  std::int64_t written = 0;  // rows inserted or updated

 private:
  template <typename Join>
  void rewrite(std::span<const Hit> old, std::span<const std::int64_t> rowids, std::span<const Hit> merged,
               Join join);

  store::Statement ins_, del_, rerank_, to_product_, to_region_;
  std::int64_t run_id_;
};

}  // namespace ensemble::pipeline::match
