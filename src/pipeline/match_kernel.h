// All-pairs top-k in both directions between two sets of unit vectors (cosine = inner product):
// for every region its best products, and for every product its best regions, from one pass of
// blocked matrix products (OpenBLAS sgemm), so memory stays at one block of scores.
//
// Layout: row-major, rows × dim floats. Results are sorted by score descending, ties broken by
// the lower index, so the output is deterministic. Scores below min_score are left out.
#pragma once

#include <cstdint>
#include <vector>

namespace ensemble::pipeline {

struct Hit {
  std::int32_t index;
  float score;
};

struct MatchLists {
  std::vector<std::vector<Hit>> a_to_b;  // for each row of A, its top k_ab rows of B
  std::vector<std::vector<Hit>> b_to_a;  // for each row of B, its top k_ba rows of A
};

// threads: workers for the top-k bookkeeping (sgemm uses OpenBLAS's own threads).
MatchLists match_both_ways(const float* a, std::int64_t na, const float* b, std::int64_t nb, int dim,
                           int k_ab, int k_ba, float min_score, int threads);

}  // namespace ensemble::pipeline
