// eval_index: exact vs hnsw on real embeddings and on synthetic clustered vectors.
//
//   eval_index [--vectors FILE.evec]... [--synthetic N] [--dim 512] [--queries 1000] [--k 10]
//              [--specs SPEC;SPEC...] [--ef 32,64,128] [--threads 2] [--latency-queries 200]
//              [--match REGIONS,PRODUCTS]
//
// For each data set the last --queries rows are held out as queries (never in the index). It
// prints, within one run (so ratios are fair on a noisy machine): build time, batch throughput
// (queries/s over all queries), one-query latency (p50/p95, queries one by one), recall@k
// against the exact index, memory per vector, and hnsw's speed-up over exact.
// --match times the match stage's bidirectional top-k (cross_search vs two exact searches vs
// hnsw) on the first vectors of the first --vectors file, or on synthetic clustered vectors.
// EVEC files come from `eval_embed --dump-fmnist/--dump-cc0` (header "EVEC", version, n, dim;
// then n × dim floats; then n int32 labels).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "ensemble/index/cross_search.h"
#include "ensemble/index/vector_index.h"
#include "index/test_vectors.h"

namespace {

using namespace ensemble::index;
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct DataSet {
  std::string name;
  int dim = 0;
  std::vector<float> base, queries;
  std::vector<Id> ids;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

DataSet split_off(std::string name, std::vector<float> all, int dim, std::int64_t queries) {
  DataSet d;
  d.name = std::move(name);
  d.dim = dim;
  std::int64_t n = static_cast<std::int64_t>(all.size()) / dim;
  queries = std::min(queries, n / 2);
  // Held-out queries spread over the file (every step-th row), not just its tail.
  std::int64_t step = n / queries;
  for (std::int64_t i = 0; i < n; ++i) {
    auto* row = all.data() + i * dim;
    bool is_query = i % step == step - 1 && static_cast<std::int64_t>(d.queries.size()) < queries * dim;
    if (is_query) {
      d.queries.insert(d.queries.end(), row, row + dim);
    } else {
      d.base.insert(d.base.end(), row, row + dim);
      d.ids.push_back(i);
    }
  }
  return d;
}

DataSet read_evec(const std::string& path, std::int64_t queries) {
  std::ifstream in(path, std::ios::binary);
  std::uint32_t hdr[4];
  if (!in.read(reinterpret_cast<char*>(hdr), sizeof hdr) || hdr[0] != 0x43455645u) {
    throw std::runtime_error(path + " is not an EVEC file");
  }
  std::vector<float> all(static_cast<std::size_t>(hdr[2]) * hdr[3]);
  in.read(reinterpret_cast<char*>(all.data()), static_cast<std::streamsize>(all.size() * sizeof(float)));
  if (!in) throw std::runtime_error(path + " is truncated");
  return split_off(path, std::move(all), static_cast<int>(hdr[3]), queries);
}

double recall(const SearchResults& got, const SearchResults& truth) {
  long hit = 0, total = 0;
  for (std::int64_t q = 0; q < truth.n; ++q) {
    std::unordered_set<Id> want;
    for (int j = 0; j < truth.k; ++j)
      if (truth.id(q, j) >= 0) want.insert(truth.id(q, j));
    for (int j = 0; j < got.k; ++j) hit += want.count(got.id(q, j));
    total += static_cast<long>(want.size());
  }
  return double(hit) / total;
}

struct Timing {
  double batch_qps, p50_ms, p95_ms;
};

Timing time_search(const VectorIndex& index, const DataSet& d, int k, int latency_queries, SearchResults* out) {
  const std::int64_t nq = static_cast<std::int64_t>(d.queries.size()) / d.dim;
  auto t0 = Clock::now();
  *out = index.search(d.queries, k);
  double batch = since(t0);
  std::vector<double> lat;
  for (int i = 0; i < std::min<std::int64_t>(latency_queries, nq); ++i) {
    std::span<const float> q(d.queries.data() + i * d.dim, d.dim);
    auto t = Clock::now();
    auto r = index.search(q, k);
    lat.push_back(since(t) * 1e3);
    if (r.n != 1) std::abort();
  }
  std::sort(lat.begin(), lat.end());
  return {nq / batch, lat[lat.size() / 2], lat[lat.size() * 95 / 100]};
}

void run(const DataSet& d, const std::vector<std::string>& specs, const std::vector<int>& efs, int k, int threads,
         int latency_queries) {
  const std::int64_t n = static_cast<std::int64_t>(d.ids.size()), nq = static_cast<std::int64_t>(d.queries.size()) / d.dim;
  std::printf("\n## %s: %lld vectors × %d, %lld held-out queries, k=%d, threads %d\n", d.name.c_str(),
              static_cast<long long>(n), d.dim, static_cast<long long>(nq), k, threads);
  std::printf("| index | build s | recall@%d | batch q/s | 1-query p50 ms | p95 ms | bytes/vector | q/s vs exact | p50 vs exact |\n", k);
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  auto exact = make_index("exact", d.dim);
  exact->set_threads(threads);
  auto t0 = Clock::now();
  exact->add(d.ids, d.base);
  double build = since(t0);
  SearchResults truth;
  Timing te = time_search(*exact, d, k, latency_queries, &truth);
  std::printf("| exact | %.2f | 1.000 | %.0f | %.2f | %.2f | %.0f | 1.0 | 1.0 |\n", build, te.batch_qps, te.p50_ms, te.p95_ms,
              exact->bytes_per_vector());
  std::fflush(stdout);
  for (const auto& spec : specs) {
    auto hnsw = make_index(spec, d.dim);
    hnsw->set_threads(threads);
    t0 = Clock::now();
    hnsw->add(d.ids, d.base);
    build = since(t0);
    for (int ef : efs) {
      std::string s = canonical_index_spec(spec);
      s = s.substr(0, s.rfind("ef=")) + "ef=" + std::to_string(ef);
      hnsw->set_search_params(s);
      SearchResults got;
      Timing th = time_search(*hnsw, d, k, latency_queries, &got);
      std::printf("| %s | %.1f | %.3f | %.0f | %.3f | %.3f | %.0f | %.1f | %.1f |\n", s.c_str(), build, recall(got, truth),
                  th.batch_qps, th.p50_ms, th.p95_ms, hnsw->bytes_per_vector(), th.batch_qps / te.batch_qps,
                  te.p50_ms / th.p50_ms);
      std::fflush(stdout);
    }
  }
}

// The match stage's shape: |A| regions × |B| products, top-10 products per region and top-5
// regions per product, three ways.
void run_match(const std::vector<float>& pool, int dim, std::int64_t na, std::int64_t nb, int threads,
               const std::string& hnsw_spec) {
  std::int64_t n = static_cast<std::int64_t>(pool.size()) / dim;
  if (na + nb > n) throw std::runtime_error("not enough vectors for --match");
  std::span<const float> b(pool.data(), nb * dim), a(pool.data() + nb * dim, na * dim);
  std::vector<Id> b_ids(nb), a_ids(na);
  std::iota(b_ids.begin(), b_ids.end(), 0);
  std::iota(a_ids.begin(), a_ids.end(), 10'000'000);
  std::printf("\n## match: %lld regions × %lld products × %d, top-10 products per region + top-5 regions per product, threads %d\n",
              static_cast<long long>(na), static_cast<long long>(nb), dim, threads);
  std::printf("| method | region→product s | product→region s | total s | agreement with exact |\n|---|---|---|---|---|\n");
  auto t0 = Clock::now();
  CrossOptions o;
  o.threads = threads;
  auto cross = cross_search(a_ids, a, b_ids, b, dim, o);
  double tc = since(t0);
  std::printf("| cross_search (one pass, exact) | - | - | %.2f | 1.000 |\n", tc);
  std::fflush(stdout);
  auto ib = make_index("exact", dim), ia = make_index("exact", dim);
  ib->set_threads(threads);
  ia->set_threads(threads);
  ib->add(b_ids, b);
  ia->add(a_ids, a);
  t0 = Clock::now();
  auto r1 = ib->search(a, 10);
  double t1 = since(t0);
  t0 = Clock::now();
  auto r2 = ia->search(b, 5);
  double t2 = since(t0);
  std::printf("| two exact searches | %.2f | %.2f | %.2f | %.3f / %.3f |\n", t1, t2, t1 + t2, recall(r1, cross.a_to_b),
              recall(r2, cross.b_to_a));
  std::fflush(stdout);
  auto hb = make_index(hnsw_spec, dim), ha = make_index(hnsw_spec, dim);
  hb->set_threads(threads);
  ha->set_threads(threads);
  t0 = Clock::now();
  hb->add(b_ids, b);
  double build_b = since(t0);
  t0 = Clock::now();
  auto h1 = hb->search(a, 10);
  double s1 = since(t0);
  t0 = Clock::now();
  ha->add(a_ids, a);
  auto h2 = ha->search(b, 5);
  double s2 = since(t0);
  std::printf("| %s (product graph build %.1f s, kept between runs) | %.2f | %.2f (incl. region graph build) | %.2f + build | %.3f / %.3f |\n",
              hnsw_spec.c_str(), build_b, s1, s2, s1 + s2, recall(h1, cross.a_to_b), recall(h2, cross.b_to_a));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> vectors;
  std::int64_t synthetic = 0, queries = 1000;
  int dim = 512, k = 10, threads = 2, latency_queries = 200;
  std::vector<std::string> specs = {"hnsw:M=16,efC=200,ef=64", "hnsw:M=32,efC=200,ef=64"};
  std::vector<int> efs = {32, 64, 128};
  std::int64_t match_a = 0, match_b = 0;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
        return argv[++i];
      };
      if (a == "--vectors") vectors.push_back(next());
      else if (a == "--synthetic") synthetic = std::stoll(next());
      else if (a == "--dim") dim = std::stoi(next());
      else if (a == "--queries") queries = std::stoll(next());
      else if (a == "--k") k = std::stoi(next());
      else if (a == "--specs") specs = split(next(), ';');
      else if (a == "--ef") {
        efs.clear();
        for (auto& e : split(next(), ',')) efs.push_back(std::stoi(e));
      } else if (a == "--threads") threads = std::stoi(next());
      else if (a == "--latency-queries") latency_queries = std::stoi(next());
      else if (a == "--match") {
        auto parts = split(next(), ',');
        if (parts.size() != 2) throw std::runtime_error("--match wants REGIONS,PRODUCTS");
        match_a = std::stoll(parts[0]);
        match_b = std::stoll(parts[1]);
      }
      else {
        std::fprintf(stderr, "usage: see the comment at the top of bench/index_eval.cc\n");
        return 1;
      }
    }
    if (match_a > 0) {
      std::vector<float> pool;
      if (!vectors.empty()) {
        DataSet d = read_evec(vectors.front(), 1);
        pool = std::move(d.base);
        dim = d.dim;
      } else {
        pool = ensemble::index::testing::clustered_unit(match_a + match_b, dim, 1000, 1.0f, 9);
      }
      run_match(pool, dim, match_a, match_b, threads, specs.empty() ? "hnsw:M=16,efC=200,ef=64" : specs.front());
      return 0;
    }
    if (vectors.empty() && synthetic == 0) synthetic = 70000;
    for (const auto& path : vectors) run(read_evec(path, queries), specs, efs, k, threads, latency_queries);
    if (synthetic > 0) {
      auto all = ensemble::index::testing::clustered_unit(synthetic + queries, dim, 1000, 1.0f, 7);
      run(split_off("synthetic clustered (1000 centres, noise 1.0)", std::move(all), dim, queries), specs, efs, k,
          threads, latency_queries);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_index: %s\n", e.what());
    return 1;
  }
  return 0;
}
