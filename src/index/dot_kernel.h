// Inner products of a few queries against many rows, for the exact index's small batches.
//
// OpenBLAS 0.3.21 runs this machine's CPU with its generic "Prescott" (SSE3) kernels unless
// OPENBLAS_CORETYPE says otherwise, and its gemv there is far from memory bandwidth (≈ 36 ms for
// one query over 69,000 × 512). This loop keeps 16 independent partial sums per query, so the
// compiler vectorises it without reassociating floats (AVX-512 or AVX2 under -march=native,
// SSE otherwise) and one pass over the rows serves up to kMaxQueries queries.
#pragma once

#include <cstdint>

namespace ensemble::index::detail {

inline constexpr int kDotMaxQueries = 4;

// scores[q * ld + i] = <queries[q], rows[i]> for q < nq (1..kDotMaxQueries), i < n.
inline void dot_rows(const float* rows, std::int64_t n, int dim, const float* queries, int nq, float* scores,
                     std::int64_t ld) {
  constexpr int L = 16;
  const int body = dim - dim % L;
  for (std::int64_t i = 0; i < n; ++i) {
    const float* r = rows + i * dim;
    float acc[kDotMaxQueries][L] = {};
    for (int d = 0; d < body; d += L) {
      for (int q = 0; q < nq; ++q) {
        const float* x = queries + q * dim + d;
        for (int l = 0; l < L; ++l) acc[q][l] += r[d + l] * x[l];
      }
    }
    for (int q = 0; q < nq; ++q) {
      float s = 0;
      for (int l = 0; l < L; ++l) s += acc[q][l];
      for (int d = body; d < dim; ++d) s += r[d] * queries[q * dim + d];
      scores[q * ld + i] = s;
    }
  }
}

}  // namespace ensemble::index::detail
