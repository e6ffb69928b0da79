#include "ensemble/embed/projection.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include "ensemble/util/error.h"
#include "ensemble/util/fs.h"
#include "ensemble/util/gemm.h"
#include "ensemble/util/sha256.h"

// LAPACK from OpenBLAS (no lapacke.h on Debian's libopenblas-dev): the Fortran symbol, with the
// hidden character-length arguments gfortran appends.
extern "C" void dsyevr_(const char* jobz, const char* range, const char* uplo, const int* n, double* a,
                        const int* lda, const double* vl, const double* vu, const int* il, const int* iu,
                        const double* abstol, int* m, double* w, double* z, const int* ldz, int* isuppz,
                        double* work, const int* lwork, int* iwork, const int* liwork, int* info,
                        std::size_t jobz_len, std::size_t range_len, std::size_t uplo_len);

namespace ensemble::embed {
namespace {

constexpr char kMagic[8] = {'E', 'N', 'S', 'P', 'R', 'O', 'J', '\0'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::size_t kHashHexLen = 64;
constexpr std::int64_t kFlushRows = 512;

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

class Reader {
 public:
  Reader(std::string_view data, const std::string& name) : data_(data), name_(name) {}
  template <typename T>
  T get() {
    T v;
    need(sizeof v);
    std::memcpy(&v, data_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string_view bytes(std::size_t n) {
    need(n);
    auto s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::size_t remaining() const { return data_.size() - pos_; }

 private:
  void need(std::size_t n) const {
    if (data_.size() - pos_ < n) throw Error(ErrorCode::kBadInput, "projection file " + name_ + " is truncated");
  }
  std::string_view data_;
  std::size_t pos_ = 0;
  const std::string& name_;
};

// splitmix64: a tiny portable generator, so the random projection is the same everywhere
// (std::normal_distribution is not specified bit-for-bit across standard libraries).
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
};

}  // namespace

Projection::Projection(std::string descriptor_id, int in_dim, int out_dim, std::vector<float> mean,
                       std::vector<float> matrix, std::int64_t samples)
    : descriptor_id_(std::move(descriptor_id)),
      in_dim_(in_dim),
      out_dim_(out_dim),
      mean_(std::move(mean)),
      matrix_(std::move(matrix)),
      samples_(samples) {
  if (in_dim_ < 1 || out_dim_ < 1 || mean_.size() != static_cast<std::size_t>(in_dim_) ||
      matrix_.size() != static_cast<std::size_t>(in_dim_) * out_dim_) {
    throw Error(ErrorCode::kInvalidArgument, "projection: inconsistent sizes");
  }
  bias_.assign(out_dim_, 0.0f);
  gemm::mv(out_dim_, in_dim_, matrix_.data(), in_dim_, mean_.data(), bias_.data());
  matrix_t_.resize(matrix_.size());
  for (int j = 0; j < out_dim_; ++j) {
    for (int i = 0; i < in_dim_; ++i) {
      matrix_t_[static_cast<std::size_t>(i) * out_dim_ + j] = matrix_[static_cast<std::size_t>(j) * in_dim_ + i];
    }
  }
  hash_ = sha256_hex(serialise_body());
}

Projection Projection::random(std::string descriptor_id, int in_dim, int out_dim, std::uint64_t seed) {
  SplitMix64 rng{seed};
  std::vector<float> m(static_cast<std::size_t>(in_dim) * out_dim);
  const double scale = 1.0 / std::sqrt(static_cast<double>(out_dim));
  for (std::size_t i = 0; i < m.size(); i += 2) {
    // Box-Muller: two normals per pair of uniforms.
    double r = std::sqrt(-2.0 * std::log(rng.uniform())), t = 2.0 * M_PI * rng.uniform();
    m[i] = static_cast<float>(r * std::cos(t) * scale);
    if (i + 1 < m.size()) m[i + 1] = static_cast<float>(r * std::sin(t) * scale);
  }
  return Projection(std::move(descriptor_id), in_dim, out_dim, std::vector<float>(in_dim, 0.0f), std::move(m), 0);
}

std::string Projection::serialise_body() const {
  std::string out;
  out.reserve(64 + descriptor_id_.size() + (mean_.size() + matrix_.size()) * sizeof(float));
  out.append(kMagic, sizeof kMagic);
  put<std::uint32_t>(out, kFormatVersion);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(in_dim_));
  put<std::uint32_t>(out, static_cast<std::uint32_t>(out_dim_));
  put<std::uint32_t>(out, static_cast<std::uint32_t>(descriptor_id_.size()));
  put<std::int64_t>(out, samples_);
  out.append(descriptor_id_);
  out.append(reinterpret_cast<const char*>(mean_.data()), mean_.size() * sizeof(float));
  out.append(reinterpret_cast<const char*>(matrix_.data()), matrix_.size() * sizeof(float));
  return out;
}

void Projection::save(const std::filesystem::path& path) const {
  std::string bytes = serialise_body();
  bytes.append(hash_);
  write_file_atomic(path, bytes);
}

Projection Projection::load(const std::filesystem::path& path) {
  const std::string name = path.string();
  // The fixed header (magic, version, in_dim, out_dim, id length, samples) says how long the file
  // must be: check that against its size before reading it, so a corrupt header can never make
  // this allocate more than the file holds, and a wrong-sized file is named as such.
  constexpr std::size_t kHeader = sizeof kMagic + 4 * sizeof(std::uint32_t) + sizeof(std::int64_t);
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(path, ec);
  if (ec) throw Error(ErrorCode::kNotFound, "cannot read projection file " + name + ": " + ec.message());
  std::string head;
  {
    std::ifstream in(path, std::ios::binary);
    head.resize(std::min<std::uintmax_t>(file_size, kHeader));
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
  }
  if (file_size < kHeader + kHashHexLen || std::memcmp(head.data(), kMagic, sizeof kMagic) != 0) {
    throw Error(ErrorCode::kBadInput, name + " is not an Ensemble projection file");
  }
  Reader h(head, name);
  h.bytes(sizeof kMagic);
  const auto version = h.get<std::uint32_t>();
  if (version != kFormatVersion) {
    throw Error(ErrorCode::kBadInput, name + ": projection format version " + std::to_string(version) +
                                          " is not supported (this build reads version " +
                                          std::to_string(kFormatVersion) + ")");
  }
  const auto in_dim = h.get<std::uint32_t>();
  const auto out_dim = h.get<std::uint32_t>();
  const auto id_len = h.get<std::uint32_t>();
  const auto samples = h.get<std::int64_t>();
  if (in_dim == 0 || out_dim == 0 || in_dim > (1u << 20) || out_dim > (1u << 16) || id_len > 4096 ||
      samples < 0) {
    throw Error(ErrorCode::kBadInput, name + ": corrupt projection header (in_dim " + std::to_string(in_dim) +
                                          ", out_dim " + std::to_string(out_dim) + ", id length " +
                                          std::to_string(id_len) + ")");
  }
  const std::uint64_t floats = std::uint64_t{in_dim} * (1 + std::uint64_t{out_dim});
  const std::uint64_t expected = kHeader + id_len + floats * sizeof(float) + kHashHexLen;
  if (file_size != expected) {
    throw Error(ErrorCode::kBadInput, name + " is truncated or has trailing bytes (a " + std::to_string(in_dim) +
                                          " x " + std::to_string(out_dim) + " projection takes " +
                                          std::to_string(expected) + " bytes, the file has " +
                                          std::to_string(file_size) + ")");
  }
  const std::string data = read_file(path, expected);
  if (data.size() != expected) throw Error(ErrorCode::kBadInput, name + " changed while it was read");
  const std::string_view body(data.data(), data.size() - kHashHexLen);
  const std::string_view trailer(data.data() + body.size(), kHashHexLen);
  if (sha256_hex(body) != trailer) throw Error(ErrorCode::kBadInput, name + " is corrupt (checksum mismatch)");
  Reader r(body, name);
  r.bytes(kHeader);
  std::string descriptor_id(r.bytes(id_len));
  std::vector<float> mean(in_dim), matrix(static_cast<std::size_t>(in_dim) * out_dim);
  std::memcpy(mean.data(), r.bytes(in_dim * sizeof(float)).data(), in_dim * sizeof(float));
  std::memcpy(matrix.data(), r.bytes(matrix.size() * sizeof(float)).data(), matrix.size() * sizeof(float));
  // A checksum only proves the file is what was written: a projection with NaN or infinite weights
  // (a fit gone wrong, a hand-made file) would turn every vector into NaN, so refuse it here.
  for (const auto* v : {&mean, &matrix}) {
    for (float x : *v) {
      if (!std::isfinite(x)) throw Error(ErrorCode::kBadInput, name + ": the projection holds non-finite values");
    }
  }
  return Projection(std::move(descriptor_id), static_cast<int>(in_dim), static_cast<int>(out_dim), std::move(mean),
                    std::move(matrix), samples);
}

void Projection::apply(const float* in, std::int64_t n, float* out) const {
  if (n <= 0) return;
  if (n <= kFewRows) {
    // A query photo and its views: y = Σ_i x_i · (row i of Wᵀ) − bias, one pass over Wᵀ for all
    // of them, skipping the descriptor's many zeros. A matrix product would first copy (pack) all
    // of W (5 MB), and BLIS's matrix-vector product read it once per row at a fraction of memory
    // speed: a photo and two views took 2.2 ms to embed on one thread that way, 1.2 ms this way
    // (bench_embed BM_EmbedQueryViews/1; one photo alone 0.48 -> 0.40 ms).
    for (std::int64_t v = 0; v < n; ++v) {
      float* y = out + v * out_dim_;
      for (int j = 0; j < out_dim_; ++j) y[j] = -bias_[j];
    }
    for (int i = 0; i < in_dim_; ++i) {
      const float* w = matrix_t_.data() + static_cast<std::size_t>(i) * out_dim_;
      for (std::int64_t v = 0; v < n; ++v) {
        const float x = in[v * in_dim_ + i];
        if (x == 0.0f) continue;
        float* y = out + v * out_dim_;
        for (int j = 0; j < out_dim_; ++j) y[j] += x * w[j];
      }
    }
    return;
  }
  for (std::int64_t i = 0; i < n; ++i) std::memcpy(out + i * out_dim_, bias_.data(), sizeof(float) * out_dim_);
  // out = in W^T - W mean
  gemm::nt(n, out_dim_, in_dim_, in, in_dim_, matrix_.data(), in_dim_, -1.0f, out, out_dim_, n >= 64 ? 0 : 1);
}

ProjectionFitter::ProjectionFitter(std::string descriptor_id, int in_dim, FitOptions options)
    : descriptor_id_(std::move(descriptor_id)), in_dim_(in_dim), options_(options) {
  if (in_dim < 1 || options.out_dim < 1 || options.whiten_alpha < 0 || options.eps_rel < 0) {
    throw Error(ErrorCode::kInvalidArgument, "projection fitter: bad dimensions or options");
  }
  sum_.assign(in_dim, 0.0);
  gram_.assign(static_cast<std::size_t>(in_dim) * in_dim, 0.0);
}

ProjectionFitter::~ProjectionFitter() = default;

void ProjectionFitter::add(const float* rows, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float* x = rows + i * in_dim_;
    if (shift_.empty()) shift_.assign(x, x + in_dim_);
    if (pending_.empty()) pending_.resize(static_cast<std::size_t>(kFlushRows) * in_dim_);
    float* dst = pending_.data() + pending_rows_ * in_dim_;
    for (int j = 0; j < in_dim_; ++j) {
      dst[j] = x[j] - shift_[j];
      sum_[j] += dst[j];
    }
    ++count_;
    if (++pending_rows_ == kFlushRows) flush();
  }
}

void ProjectionFitter::flush() {
  if (pending_rows_ == 0) return;
  // Rank-k update in float for one block of rows, accumulated in double across blocks.
  std::vector<float> block(static_cast<std::size_t>(in_dim_) * in_dim_, 0.0f);
  gemm::syrk_upper_tn(in_dim_, pending_rows_, pending_.data(), in_dim_, block.data(), in_dim_);
  for (int i = 0; i < in_dim_; ++i)
    for (int j = i; j < in_dim_; ++j) gram_[static_cast<std::size_t>(i) * in_dim_ + j] += block[static_cast<std::size_t>(i) * in_dim_ + j];
  pending_rows_ = 0;
}

Projection ProjectionFitter::finish() {
  if (count_ < 2) {
    throw Error(ErrorCode::kBadInput, "cannot fit a projection from " + std::to_string(count_) +
                                          " descriptor(s): at least 2 are needed");
  }
  flush();
  const int d = in_dim_;
  const double n = static_cast<double>(count_);
  std::vector<double> mean_shifted(d);
  for (int j = 0; j < d; ++j) mean_shifted[j] = sum_[j] / n;
  // Covariance (upper triangle, row-major = lower triangle column-major for LAPACK).
  std::vector<double> cov(static_cast<std::size_t>(d) * d, 0.0);
  for (int i = 0; i < d; ++i)
    for (int j = i; j < d; ++j) {
      double c = (gram_[static_cast<std::size_t>(i) * d + j] - n * mean_shifted[i] * mean_shifted[j]) / (n - 1);
      cov[static_cast<std::size_t>(i) * d + j] = c;
      cov[static_cast<std::size_t>(j) * d + i] = c;
    }
  const int keep = std::min(options_.out_dim, d);
  const int il = d - keep + 1, iu = d;
  int m = 0, info = 0, lwork = -1, liwork = -1, iwork_query = 0;
  double vl = 0, vu = 0, abstol = 0, work_query = 0;
  std::vector<double> w(d), z(static_cast<std::size_t>(d) * keep);
  std::vector<int> isuppz(2 * static_cast<std::size_t>(keep));
  dsyevr_("V", "I", "L", &d, cov.data(), &d, &vl, &vu, &il, &iu, &abstol, &m, w.data(), z.data(), &d, isuppz.data(),
          &work_query, &lwork, &iwork_query, &liwork, &info, 1, 1, 1);
  lwork = static_cast<int>(work_query);
  liwork = iwork_query;
  std::vector<double> work(lwork);
  std::vector<int> iwork(liwork);
  dsyevr_("V", "I", "L", &d, cov.data(), &d, &vl, &vu, &il, &iu, &abstol, &m, w.data(), z.data(), &d, isuppz.data(),
          work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1, 1);
  if (info != 0 || m != keep) {
    throw Error(ErrorCode::kInternal, "projection fit: LAPACK dsyevr failed (info " + std::to_string(info) + ")");
  }
  // Eigenvalues come ascending; emit the largest first.
  double mean_lambda = 0;
  for (int k = 0; k < keep; ++k) mean_lambda += std::max(0.0, w[k]);
  mean_lambda /= keep;
  const double eps = std::max(options_.eps_rel * mean_lambda, 1e-12);
  std::vector<float> matrix(static_cast<std::size_t>(options_.out_dim) * d, 0.0f);
  for (int r = 0; r < keep; ++r) {
    int k = keep - 1 - r;
    double lambda = std::max(0.0, w[k]);
    double scale = std::pow(lambda + eps, -options_.whiten_alpha);
    const double* vec = z.data() + static_cast<std::size_t>(k) * d;  // column k (column-major)
    // Fix the sign so the same data always gives the same file.
    double big = 0;
    for (int j = 0; j < d; ++j)
      if (std::fabs(vec[j]) > std::fabs(big)) big = vec[j];
    double sign = big < 0 ? -1.0 : 1.0;
    for (int j = 0; j < d; ++j) matrix[static_cast<std::size_t>(r) * d + j] = static_cast<float>(sign * scale * vec[j]);
  }
  std::vector<float> mean(d);
  for (int j = 0; j < d; ++j) mean[j] = static_cast<float>(shift_[j] + mean_shifted[j]);
  return Projection(descriptor_id_, d, options_.out_dim, std::move(mean), std::move(matrix), count_);
}

}  // namespace ensemble::embed
