// Dense single-precision matrix products: the one place the library calls a BLAS.
//
// Exact search, the match stage's cross search and the embedding projection (fit and apply)
// all reduce to these three shapes. Two libraries can compute them, chosen by a factory string:
//   "blis"     BLIS (Debian's libblis, its pthreads build), which picks its kernels from the CPU's
//              features at run time (AVX2/FMA "haswell" kernels on this project's machines). The
//              default.
//   "openblas" OpenBLAS's CBLAS, as the project used before. OpenBLAS 0.3.21 does not recognise
//              newer Xeons by model number and falls back to SSE3 "Prescott" kernels unless
//              OPENBLAS_CORETYPE is set (which this project never sets): 63 vs 155 GFLOP/s for a
//              2048³ sgemm on 2 cores here (docs/BENCHMARKS.md). Kept as the baseline.
// The choice is process-wide: ENSEMBLE_BLAS in the environment at first use, or select().
// Both give the same results up to float rounding; LAPACK (the projection's eigensolver) and
// LibTorch keep using OpenBLAS either way.
//
// All matrices are row-major. `threads` is the number of threads a product may use (0 = all
// cores); the OpenBLAS backend ignores it and uses OpenBLAS's own thread count, as before.
// Calls are thread-safe: concurrent callers each get their own threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ensemble::gemm {

// Chooses the backend for the rest of the process. Throws Error(kInvalidArgument) for a name
// other than "blis" or "openblas".
void select(std::string_view name);
// The backend in use: "blis" or "openblas".
std::string_view selected();
// One line for logs and benchmark tables, e.g. "blis 0.9.0 (haswell kernels)".
std::string describe();

// C (m×n, leading dimension ldc) = A (m×k, lda) · Bᵀ (B is n×k, ldb) + beta · C.
void nt(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda, const float* b,
        std::int64_t ldb, float beta, float* c, std::int64_t ldc, int threads = 0);

// The upper triangle (j ≥ i) of C (n×n, ldc) = Aᵀ · A, where A is rows×n (lda). The strictly
// lower triangle of C is left as it was.
void syrk_upper_tn(std::int64_t n, std::int64_t rows, const float* a, std::int64_t lda, float* c, std::int64_t ldc,
                   int threads = 0);

// y (m) = A (m×n, lda) · x (n).
void mv(std::int64_t m, std::int64_t n, const float* a, std::int64_t lda, const float* x, float* y);

}  // namespace ensemble::gemm
