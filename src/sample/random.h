// A seeded random source whose results do not depend on the standard library's distribution code.
//
// std::uniform_int_distribution and friends are implementation-defined, so the same seed may give
// different catalogs with another libstdc++. Rng draws from std::mt19937_64 (whose output sequence
// the standard fixes) and implements every distribution here. Not thread-safe: one Rng per thread;
// derive_seed() gives independent streams for parallel work (one per product, one per lookbook).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace ensemble::sample {

// SplitMix64 finaliser: a well-mixed 64-bit hash.
std::uint64_t mix64(std::uint64_t x);

// An independent seed for (seed, stream, index): stream separates the purposes (products, lookbooks,
// the plan), index the items within one purpose.
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream, std::uint64_t index = 0);

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t next() { return engine_(); }
  // Uniform in [0, 1), 53 bits.
  double uniform();
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [lo, hi] (inclusive), unbiased. REQUIRES: lo <= hi.
  int uniform_int(int lo, int hi);
  std::size_t index(std::size_t n);  // uniform in [0, n); REQUIRES: n > 0
  bool bernoulli(double p) { return uniform() < p; }
  // Normal(mean, sd) by Box-Muller.
  double normal(double mean = 0.0, double sd = 1.0);
  // An index drawn with probability proportional to weights[i]. REQUIRES: a positive sum.
  std::size_t weighted(const std::vector<double>& weights);

  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[index(i)]);
  }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[index(v.size())];
  }

 private:
  std::mt19937_64 engine_;
};

// Draws from a fixed discrete distribution in O(log n): the cumulative weights are built once.
class Discrete {
 public:
  Discrete() = default;
  explicit Discrete(const std::vector<double>& weights);
  std::size_t operator()(Rng& rng) const;
  std::size_t size() const { return cumulative_.size(); }
  bool empty() const { return cumulative_.empty(); }

 private:
  std::vector<double> cumulative_;
};

// Zipf weights 1/(rank+1)^exponent for ranks 0..n-1.
std::vector<double> zipf_weights(std::size_t n, double exponent);

}  // namespace ensemble::sample
