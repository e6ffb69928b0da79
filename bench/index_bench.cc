// bench_index: vector search kernels at catalog scale (default 70,000 × 512, clustered unit
// vectors; ENSEMBLE_BENCH_N overrides the count).
//   bench_index [--benchmark_filter=...]
// The hnsw graph is built once per process (tens of seconds at 70K on 2 cores) before its
// benchmarks run. Figures in docs/INDEX.md.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <numeric>
#include <random>

#include "ensemble/index/vector_index.h"
#include "index/test_vectors.h"
#include "index/dot_kernel.h"
#include "index/top_k.h"

namespace {

using ensemble::index::Id;
using ensemble::index::VectorIndex;
constexpr int kDim = 512;

std::int64_t base_count() {
  const char* n = std::getenv("ENSEMBLE_BENCH_N");
  return n ? std::atoll(n) : 70000;
}

struct Data {
  std::vector<float> base, queries;
  std::vector<Id> ids;
  Data() {
    const std::int64_t n = base_count();
    base = ensemble::index::testing::clustered_unit(n, kDim, 1000, 1.0f, 1);
    queries = ensemble::index::testing::clustered_unit(1024, kDim, 1000, 1.0f, 1);  // same centres
    ids.resize(n);
    std::iota(ids.begin(), ids.end(), 0);
  }
};
const Data& data() {
  static const Data d;
  return d;
}

const VectorIndex& built(const std::string& spec) {
  static std::map<std::string, std::unique_ptr<VectorIndex>> cache;
  auto& slot = cache[spec];
  if (!slot) {
    slot = ensemble::index::make_index(spec, kDim);
    slot->add(data().ids, data().base);
  }
  return *slot;
}

// Batch exact search: arg = queries per call.
void BM_ExactSearch(benchmark::State& state) {
  const auto& index = built("exact");
  const std::size_t nq = static_cast<std::size_t>(state.range(0));
  std::span<const float> q(data().queries.data(), nq * kDim);
  for (auto _ : state) benchmark::DoNotOptimize(index.search(q, 10).ids.data());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(nq));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * kDim * index.size() * nq * state.iterations() / 1e9,
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ExactSearch)->Arg(1)->Arg(16)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_HnswSearch(benchmark::State& state) {
  const auto& index = built("hnsw:M=32,efC=200,ef=" + std::to_string(state.range(1)));
  const std::size_t nq = static_cast<std::size_t>(state.range(0));
  std::span<const float> q(data().queries.data(), nq * kDim);
  for (auto _ : state) benchmark::DoNotOptimize(index.search(q, 10).ids.data());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(nq));
}
// ef is a search-time knob, but each spec string gets its own graph here; keep the list short.
BENCHMARK(BM_HnswSearch)->Args({1, 64})->Args({256, 64})->Unit(benchmark::kMicrosecond)->UseRealTime();

// The partial top-k over one row of scores (one query against the whole catalog).
void BM_TopK(benchmark::State& state) {
  const std::int64_t n = base_count();
  std::vector<float> scores(n);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  for (auto& s : scores) s = u(rng);
  const int k = static_cast<int>(state.range(0));
  for (auto _ : state) {
    ensemble::index::detail::TopK top(k);
    float thr = top.threshold();
    for (std::int64_t j = 0; j < n; ++j) {
      if (scores[j] < thr) continue;
      top.push(scores[j], j);
      thr = top.threshold();
    }
    std::vector<Id> ids(k);
    std::vector<float> out(k);
    top.emit(ids.data(), out.data());
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_TopK)->Arg(10)->Arg(100)->Unit(benchmark::kMicrosecond);

}  // namespace

namespace {
// The same scores as the exact index's sgemm path, computed with dot_rows in 4-query groups
// over L2-sized row blocks: how far the hand-written loop is from OpenBLAS on this machine.
void BM_DotKernelScores(benchmark::State& state) {
  const auto& d = data();
  const std::int64_t n = static_cast<std::int64_t>(d.ids.size());
  const int nq = static_cast<int>(state.range(0));
  const std::int64_t rows_block = 256;
  std::vector<float> scores(static_cast<std::size_t>(nq) * rows_block);
  for (auto _ : state) {
    for (std::int64_t r0 = 0; r0 < n; r0 += rows_block) {
      std::int64_t rn = std::min(rows_block, n - r0);
      for (int q0 = 0; q0 < nq; q0 += ensemble::index::detail::kDotMaxQueries) {
        int qn = std::min(ensemble::index::detail::kDotMaxQueries, nq - q0);
        ensemble::index::detail::dot_rows(d.base.data() + r0 * kDim, rn, kDim, d.queries.data() + q0 * kDim, qn,
                                          scores.data() + q0 * rows_block, rows_block);
      }
      benchmark::DoNotOptimize(scores.data());
    }
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * kDim * n * nq * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DotKernelScores)->Arg(1)->Arg(4)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
}  // namespace
