// Test fixtures for the index tests: random and clustered unit vectors.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace ensemble::index::testing {

inline void normalise(float* v, int dim) {
  double ss = 0;
  for (int j = 0; j < dim; ++j) ss += double(v[j]) * v[j];
  float inv = static_cast<float>(1.0 / std::sqrt(ss));
  for (int j = 0; j < dim; ++j) v[j] *= inv;
}

inline std::vector<float> random_unit(std::int64_t n, int dim, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> v(static_cast<std::size_t>(n) * dim);
  for (auto& x : v) x = g(rng);
  for (std::int64_t i = 0; i < n; ++i) normalise(v.data() + i * dim, dim);
  return v;
}

// n unit vectors around `clusters` random centres (spread = noise scale relative to the centre).
inline std::vector<float> clustered_unit(std::int64_t n, int dim, int clusters, float spread, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  auto centres = random_unit(clusters, dim, seed + 1);
  std::vector<float> v(static_cast<std::size_t>(n) * dim);
  for (std::int64_t i = 0; i < n; ++i) {
    const float* c = centres.data() + (rng() % clusters) * dim;
    for (int j = 0; j < dim; ++j) v[i * dim + j] = c[j] + spread * g(rng) / std::sqrt(float(dim));
    normalise(v.data() + i * dim, dim);
  }
  return v;
}

}  // namespace ensemble::index::testing
