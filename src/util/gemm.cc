#include "ensemble/util/gemm.h"

#include <blis-pthread/blis.h>  // the pthreads build: cmake/Dependencies.cmake
#include <cblas.h>

#include <atomic>
#include <cstdlib>

#include "ensemble/util/error.h"
#include "ensemble/util/parallel.h"

extern "C" char* openblas_get_corename(void);

namespace ensemble::gemm {
namespace {

enum Backend : int { kBlis = 0, kOpenBlas = 1 };

Backend parse(std::string_view name) {
  if (name == "blis") return kBlis;
  if (name == "openblas") return kOpenBlas;
  throw Error(ErrorCode::kInvalidArgument,
              "unknown BLAS backend '" + std::string(name) + "' (ENSEMBLE_BLAS): expected blis or openblas");
}

std::atomic<int>& backend() {
  static std::atomic<int> b{[] {
    const char* env = std::getenv("ENSEMBLE_BLAS");
    return static_cast<int>(env && *env ? parse(env) : kBlis);
  }()};
  return b;
}

rntm_t runtime(int threads) {
  rntm_t r = BLIS_RNTM_INITIALIZER;
  bli_rntm_set_num_threads(resolve_threads(threads), &r);
  return r;
}

int narrow(std::int64_t v) {
  if (v < 0 || v > 0x7fffffff) throw Error(ErrorCode::kInvalidArgument, "gemm: dimension out of range");
  return static_cast<int>(v);
}

}  // namespace

void select(std::string_view name) { backend().store(parse(name)); }

std::string_view selected() { return backend().load() == kBlis ? "blis" : "openblas"; }

std::string describe() {
  if (backend().load() == kBlis) {
    return std::string("blis ") + bli_info_get_version_str() + " (" + bli_arch_string(bli_arch_query_id()) +
           " kernels)";
  }
  return std::string("openblas (") + openblas_get_corename() + " kernels)";
}

void nt(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda, const float* b,
        std::int64_t ldb, float beta, float* c, std::int64_t ldc, int threads) {
  if (m <= 0 || n <= 0) return;
  if (backend().load() == kOpenBlas) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, narrow(m), narrow(n), narrow(k), 1.0f, a, narrow(lda), b,
                narrow(ldb), beta, c, narrow(ldc));
    return;
  }
  float one = 1.0f;
  rntm_t r = runtime(threads);
  bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE, m, n, k, &one, const_cast<float*>(a), lda, 1, const_cast<float*>(b),
               ldb, 1, &beta, c, ldc, 1, nullptr, &r);
}

void syrk_upper_tn(std::int64_t n, std::int64_t rows, const float* a, std::int64_t lda, float* c, std::int64_t ldc,
                   int threads) {
  if (n <= 0) return;
  if (backend().load() == kOpenBlas) {
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, narrow(n), narrow(rows), 1.0f, a, narrow(lda), 0.0f, c,
                narrow(ldc));
    return;
  }
  float one = 1.0f, zero = 0.0f;
  rntm_t r = runtime(threads);
  // transa(A) = Aᵀ is n × rows; its rows are A's columns (row stride 1, column stride lda).
  bli_ssyrk_ex(BLIS_UPPER, BLIS_TRANSPOSE, n, rows, &one, const_cast<float*>(a), lda, 1, &zero, c, ldc, 1, nullptr,
               &r);
}

void mv(std::int64_t m, std::int64_t n, const float* a, std::int64_t lda, const float* x, float* y) {
  if (m <= 0) return;
  if (backend().load() == kOpenBlas) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, narrow(m), narrow(n), 1.0f, a, narrow(lda), x, 1, 0.0f, y, 1);
    return;
  }
  float one = 1.0f, zero = 0.0f;
  bli_sgemv(BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE, m, n, &one, const_cast<float*>(a), lda, 1, const_cast<float*>(x), 1,
            &zero, y, 1);
}

}  // namespace ensemble::gemm
