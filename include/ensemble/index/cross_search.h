// Both directions of an exact bipartite match in one pass: for every row of A its best rows of B,
// and for every row of B its best rows of A (for example regions ↔ products in the match stage).
//
// Computing the A × B score matrix once (util/gemm.h over bounded blocks) and keeping a
// partial top-k per row *and* per column halves the work of two separate searches. Exact:
// results equal two ExactIndex searches (same order and tie-break: score desc, then id asc).
#pragma once

#include <functional>
#include <span>

#include "ensemble/index/vector_index.h"

namespace ensemble::index {

struct CrossResults {
  SearchResults a_to_b;  // n = |A| rows of k_ab ids of B
  SearchResults b_to_a;  // n = |B| rows of k_ba ids of A
};

// Called for candidate pairs only (those that would enter a top-k); must be thread-safe.
// Return false to exclude the pair in both directions (e.g. category consistency).
using PairFilter = std::function<bool(Id a, Id b)>;

struct CrossOptions {
  int k_ab = 10;               // per row of A
  int k_ba = 5;                // per row of B; 0 = skip this direction
  float min_score = -2.0f;     // pairs scoring below are ignored (default: none are)
  const PairFilter* filter = nullptr;
  int threads = 0;             // for the products and the top-k scans; 0 = all cores
};

// a: |a_ids| × dim, b: |b_ids| × dim, row-major, rows L2-normalised. Memory: the inputs plus
// bounded score blocks (16 MB) plus the results. Throws Error(kInvalidArgument) on size
// mismatches or k_ab < 1, k_ba < 0.
CrossResults cross_search(std::span<const Id> a_ids, std::span<const float> a, std::span<const Id> b_ids,
                          std::span<const float> b, int dim, const CrossOptions& options = {});

}  // namespace ensemble::index
