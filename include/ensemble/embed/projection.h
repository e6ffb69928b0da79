// A linear projection from a raw descriptor space to the embedding space:
//   y = W (x - mean),  then L2-normalised by the embedder.
// Fitted by ProjectionFitter as PCA with (partial) whitening on raw descriptors of the catalog, or
// built as a fixed deterministic random projection. Saved as a versioned binary file (format in
// docs/EMBEDDINGS.md) whose SHA-256 names it in the embedder's id, so lineage records which
// projection made each vector.
//
// Thread-safety: a Projection is immutable after construction; apply() may run concurrently.
// ProjectionFitter is not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ensemble::embed {

class Projection {
 public:
  // A fitted or random projection. mean: in_dim values; matrix: out_dim × in_dim, row-major.
  // descriptor_id names the raw descriptor it applies to (checked when an embedder adopts it).
  Projection(std::string descriptor_id, int in_dim, int out_dim, std::vector<float> mean,
             std::vector<float> matrix, std::int64_t samples);

  // Gaussian entries N(0, 1/out_dim) from a fixed portable generator; mean zero. Deterministic for
  // (in_dim, out_dim, seed) on every platform. Preserves inner products in expectation
  // (Johnson-Lindenstrauss), so cosine ranking of raw descriptors survives approximately.
  static Projection random(std::string descriptor_id, int in_dim, int out_dim, std::uint64_t seed);

  // Writes the versioned file atomically. Throws Error(kIo).
  void save(const std::filesystem::path& path) const;
  // Reads and verifies a file (magic, version, sizes, SHA-256 trailer). Throws Error(kNotFound) if
  // missing, Error(kBadInput) if truncated, corrupt or of an unknown version.
  static Projection load(const std::filesystem::path& path);

  // out[i] = W (in[i] - mean) for n rows; in: n × in_dim, out: n × out_dim (row-major). No
  // normalisation. One matrix product (util/gemm.h); up to kFewRows rows (a query and its views)
  // as sums of Wᵀ's rows instead, which equals it up to float rounding.
  void apply(const float* in, std::int64_t n, float* out) const;
  static constexpr std::int64_t kFewRows = 8;

  const std::string& descriptor_id() const { return descriptor_id_; }
  int in_dim() const { return in_dim_; }
  int out_dim() const { return out_dim_; }
  std::int64_t samples() const { return samples_; }  // rows it was fitted on; 0 for random
  // Lowercase hex SHA-256 of the serialised projection (the file minus its trailer).
  const std::string& hash() const { return hash_; }

 private:
  std::string serialise_body() const;

  std::string descriptor_id_;
  int in_dim_ = 0;
  int out_dim_ = 0;
  std::vector<float> mean_;
  std::vector<float> matrix_;
  std::vector<float> bias_;  // W mean, so apply() needs no centred copy of its input
  std::vector<float> matrix_t_;  // Wᵀ (in_dim × out_dim): a few rows are projected as sums of its rows
  std::int64_t samples_ = 0;
  std::string hash_;
};

struct FitOptions {
  int out_dim = 512;
  // Whitening exponent: W = diag((lambda + eps)^-alpha) U^T. 0 = plain PCA rotation, 0.5 = full
  // whitening. Default: measured best on real photos (docs/EMBEDDINGS.md).
  double whiten_alpha = 0.5;
  // Regulariser added to every eigenvalue, as a fraction of the mean of the kept eigenvalues;
  // stops near-zero directions (few samples, constant features) from being blown up.
  double eps_rel = 0.5;
};

// Streams raw descriptors in, keeps only the mean and the covariance (in_dim² doubles), so a
// catalog of any size fits in bounded memory. At least 2 rows are needed; fewer rows than out_dim
// works (the missing directions get zero weight).
class ProjectionFitter {
 public:
  ProjectionFitter(std::string descriptor_id, int in_dim, FitOptions options = {});
  ~ProjectionFitter();
  ProjectionFitter(const ProjectionFitter&) = delete;
  ProjectionFitter& operator=(const ProjectionFitter&) = delete;

  // rows: n × in_dim, row-major.
  void add(const float* rows, std::int64_t n);
  std::int64_t count() const { return count_; }
  // Eigen-decomposes the covariance (LAPACK dsyevr in OpenBLAS; a few seconds at in_dim 2,500).
  // Throws Error(kBadInput) when fewer than 2 rows were added. The fitter may be finished again
  // after more add() calls.
  Projection finish();

 private:
  std::string descriptor_id_;
  int in_dim_;
  FitOptions options_;
  std::int64_t count_ = 0;
  std::vector<double> sum_;   // in_dim
  std::vector<double> gram_;  // in_dim × in_dim, upper triangle used
  std::vector<float> shift_;  // first row seen: accumulating x - shift keeps the sums well scaled
  std::vector<float> pending_;  // rows not yet folded into gram_ (folded by a BLAS rank-k update)
  std::int64_t pending_rows_ = 0;
  void flush();
};

}  // namespace ensemble::embed
