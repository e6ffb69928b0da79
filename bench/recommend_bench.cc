// bench_recommend: pair counting (recommend::generate_pairs), ours and the reference method, on
// synthetic evidence shaped like the reference sample: a 44,000-product catalog, N lookbooks of
// 60 regions in 2 outfit contexts, 10 matched products per region (match.products_per_region).
// The reference method counts every matched product of a lookbook as present (60 × 10 here), so
// its pair count grows with the square of that: it is measured at 100 lookbooks only.
//   bench_recommend [--benchmark_filter=...]      Args: lookbooks (100, 1,000)
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ensemble/recommend/cooccurrence.h"
#include "ensemble/recommend/evidence.h"

namespace {

using namespace ensemble::recommend;

const char* kCategories[] = {"t-shirt", "trousers", "pullover", "dress", "coat", "sandals", "shirt",
                             "sneakers", "bag", "ankle boots", "hat", "belt"};

struct Data {
  Catalog catalog;
  MatchEvidence evidence;
  explicit Data(int lookbooks) {
    std::mt19937 rng(5);
    const int products = 44000;
    for (int i = 0; i < products; ++i) {
      Product p;
      p.id = "p" + std::to_string(i);
      p.category = kCategories[i % 12];
      catalog.add(std::move(p));
    }
    // Products worn in lookbooks come from a popular subset, as in styled photos.
    std::uniform_int_distribution<int> popular(0, 4999);
    std::uniform_real_distribution<float> u(0, 1);
    for (int l = 0; l < lookbooks; ++l) {
      const auto lb = evidence.add_lookbook("lb" + std::to_string(l));
      for (int r = 0; r < 60; ++r) {
        Region region;
        region.id = static_cast<std::int64_t>(l) * 100 + r;
        region.lookbook = lb;
        region.context = r % 2;
        region.x = (r % 8) * 80;
        region.y = (r / 8) * 100;
        region.w = 70;
        region.h = 90;
        std::vector<Candidate> cands;
        float s = 0.8f + 0.15f * u(rng);
        for (int c = 0; c < 10; ++c) {
          cands.push_back({popular(rng), s});
          s -= 0.005f + 0.01f * u(rng);
        }
        const auto ri = evidence.add_region(region, std::move(cands));
        if (r % 3 == 0) evidence.add_mutual(evidence.candidates[static_cast<size_t>(ri)][0].product, ri);
      }
    }
  }
};

void BM_PairCounting(benchmark::State& state, bool reference) {
  static std::map<int, std::unique_ptr<Data>> cache;
  const int lookbooks = static_cast<int>(state.range(0));
  auto& d = cache[lookbooks];
  if (!d) d = std::make_unique<Data>(lookbooks);
  PairOptions o;
  o.reference = reference;
  std::size_t pairs = 0;
  for (auto _ : state) {
    PairTable t = generate_pairs(d->catalog, d->evidence, o);
    pairs = t.pairs.size();
    benchmark::DoNotOptimize(t.pairs.data());
  }
  state.counters["pairs"] = static_cast<double>(pairs);
  state.SetItemsProcessed(state.iterations() * lookbooks);
}

BENCHMARK_CAPTURE(BM_PairCounting, ensemble, false)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PairCounting, reference, true)->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace
