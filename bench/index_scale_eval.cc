// eval_index_scale: product search and matching from 10K to 1M products, on real embeddings from a
// pipeline database grown with synthetic vectors drawn like them, against brute force and FAISS.
//
//   eval_index_scale --db DB [--sizes 10000,100000,1000000] [--queries 500] [--k 10] [--threads 2]
//                    [--specs "hnsw:M=32,efC=200,ef=64;hnsw:M=16,efC=200,ef=10"] [--ef 16,32,64,128]
//                    [--centres 1000] [--regions N] [--faiss-hnsw-max 10000] [--brute-queries 20]
//                    [--latency-queries 100] [--json FILE]
//
// Data. The products' vectors of the database's current model are the real part; queries are
// held-out real product vectors (never in the index). Beyond the real count the catalog is padded
// with synthetic vectors from a mixture of Gaussians fitted to the real ones: k-means (--centres
// clusters, 4 Lloyd iterations), then per cluster its mean and its per-dimension variance; a
// synthetic vector picks a cluster with probability proportional to its size, draws from that
// diagonal Gaussian and is L2-normalised. Sizes are nested prefixes of one pool.
//
// Per size it prints, all within one run so the ratios are fair on a shared machine:
//   brute force   a plain loop: dot products in scalar code + a sort per query (the baseline)
//   exact         our index (sgemm + partial top-k); batch q/s on --threads, p50 of one query on 1 thread
//   faiss-flat    Debian's FAISS IndexFlatIP on the same vectors (when built with FAISS)
//   hnsw specs    build time (threads), recall@k vs exact, q/s, p50 (1 thread), memory per product
//   faiss-hnsw    FAISS IndexHNSWFlat with its defaults (M 32, efConstruction 40), up to --faiss-hnsw-max
//   match         cross_search of the database's region vectors (or --regions synthetic ones) against
//                 the catalog: both directions in one pass, vs two exact searches (the baseline)
// Memory per product: the index's bytes_per_vector() and the RSS growth while it was built.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include <sqlite3.h>

#include "ensemble/index/cross_search.h"
#include "ensemble/index/vector_index.h"
#include "ensemble/util/parallel.h"

#ifdef ENSEMBLE_WITH_FAISS
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <omp.h>
#endif

namespace {

using namespace ensemble::index;
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

double rss_mb() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * 4096.0 / (1 << 20);
}

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

struct Args {
  std::string db, json;
  std::vector<std::int64_t> sizes = {10000, 100000};
  int queries = 500, k = 10, threads = 2, centres = 1000, brute_queries = 20, latency_queries = 100;
  std::int64_t regions = -1, faiss_hnsw_max = 10000;
  std::vector<std::string> specs = {"hnsw:M=32,efC=200,ef=64", "hnsw:M=16,efC=200,ef=10"};
  std::vector<int> efs = {16, 32, 64, 128};
};

// Reads every vector of one kind for the model with the most product vectors.
std::vector<float> read_vectors(const std::string& db_path, const char* kind, int* dim) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    throw std::runtime_error("cannot open " + db_path);
  }
  std::vector<float> out;
  const std::string sql =
      std::string("SELECT dim, vector FROM embeddings WHERE owner_kind = '") + kind +
      "' AND model_id = (SELECT model_id FROM embeddings WHERE owner_kind = 'product' GROUP BY model_id"
      " ORDER BY count(*) DESC LIMIT 1) ORDER BY owner_id";
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error(db_path + " has no embeddings table (run the pipeline first)");
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    *dim = sqlite3_column_int(st, 0);
    const auto* p = static_cast<const float*>(sqlite3_column_blob(st, 1));
    out.insert(out.end(), p, p + *dim);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

void normalise(float* v, int dim) {
  double ss = 0;
  for (int j = 0; j < dim; ++j) ss += double(v[j]) * v[j];
  const float inv = ss > 0 ? static_cast<float>(1.0 / std::sqrt(ss)) : 0.0f;
  for (int j = 0; j < dim; ++j) v[j] *= inv;
}

// A diagonal Gaussian mixture fitted to `real` by a few k-means iterations; draws `n` vectors.
std::vector<float> synthesise(const std::vector<float>& real, int dim, int centres, std::int64_t n, int threads) {
  const std::int64_t nr = static_cast<std::int64_t>(real.size()) / dim;
  if (n <= 0) return {};
  centres = static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(centres, nr / 10)));
  std::vector<float> c(static_cast<std::size_t>(centres) * dim);
  for (int i = 0; i < centres; ++i)
    std::copy_n(real.data() + (static_cast<std::int64_t>(i) * nr / centres) * dim, dim, c.data() + i * dim);
  std::vector<std::int64_t> assign(nr);
  std::vector<Id> cid(centres);
  std::iota(cid.begin(), cid.end(), 0);
  for (int iter = 0; iter < 4; ++iter) {
    auto ci = make_index("exact", dim);
    ci->set_threads(threads);
    ci->add(cid, c);  // spherical k-means: centres normalised, nearest by cosine
    auto r = ci->search(real, 1);
    std::vector<double> sum(static_cast<std::size_t>(centres) * dim, 0.0);
    std::vector<std::int64_t> count(centres, 0);
    for (std::int64_t i = 0; i < nr; ++i) {
      assign[i] = r.id(i, 0);
      ++count[assign[i]];
      for (int j = 0; j < dim; ++j) sum[assign[i] * dim + j] += real[i * dim + j];
    }
    for (int k = 0; k < centres; ++k) {
      if (count[k] == 0) continue;
      for (int j = 0; j < dim; ++j) c[k * dim + j] = static_cast<float>(sum[k * dim + j] / count[k]);
      normalise(c.data() + k * dim, dim);
    }
  }
  // Per cluster: mean (not normalised) and per-dimension standard deviation of its members.
  std::vector<double> mean(static_cast<std::size_t>(centres) * dim, 0.0), var(mean.size(), 0.0);
  std::vector<std::int64_t> count(centres, 0);
  for (std::int64_t i = 0; i < nr; ++i) {
    ++count[assign[i]];
    for (int j = 0; j < dim; ++j) mean[assign[i] * dim + j] += real[i * dim + j];
  }
  for (int k = 0; k < centres; ++k)
    for (int j = 0; j < dim; ++j) mean[k * dim + j] /= std::max<std::int64_t>(count[k], 1);
  for (std::int64_t i = 0; i < nr; ++i)
    for (int j = 0; j < dim; ++j) {
      const double d = real[i * dim + j] - mean[assign[i] * dim + j];
      var[assign[i] * dim + j] += d * d;
    }
  std::vector<double> cum(centres);
  double total = 0;
  for (int k = 0; k < centres; ++k) {
    for (int j = 0; j < dim; ++j) var[k * dim + j] = std::sqrt(var[k * dim + j] / std::max<std::int64_t>(count[k] - 1, 1));
    total += static_cast<double>(count[k]);
    cum[k] = total;
  }
  std::vector<float> out(static_cast<std::size_t>(n) * dim);
  const std::int64_t chunks = 64;
  ensemble::parallel_for(chunks, threads, [&](std::int64_t ch) {
    std::mt19937_64 rng(0x5eed + ch);
    std::normal_distribution<double> g;
    std::uniform_real_distribution<double> u(0, total);
    for (std::int64_t i = ch * n / chunks; i < (ch + 1) * n / chunks; ++i) {
      const int k = static_cast<int>(std::upper_bound(cum.begin(), cum.end(), u(rng)) - cum.begin());
      const int kk = std::min(k, centres - 1);
      float* v = out.data() + i * dim;
      for (int j = 0; j < dim; ++j) v[j] = static_cast<float>(mean[kk * dim + j] + var[kk * dim + j] * g(rng));
      normalise(v, dim);
    }
  });
  return out;
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

struct Row {
  std::string section, method;
  std::int64_t size = 0;
  double build_s = 0, recall = 1, qps = 0, p50_ms = 0, bytes_per_vector = 0, rss_mb = 0, ratio = 0;
  std::string ratio_to;
};

std::vector<Row> g_rows;

void print_row(const Row& r) {
  char p50[32] = "–", bytes[32] = "–";
  if (r.p50_ms > 0) std::snprintf(p50, sizeof p50, "%.3f", r.p50_ms);
  if (r.bytes_per_vector > 0) std::snprintf(bytes, sizeof bytes, "%.0f", r.bytes_per_vector);
  std::printf("| %s | %s | %lld | %.2f | %.3f | %.0f | %s | %s | %.0f | %.2f× %s |\n", r.section.c_str(),
              r.method.c_str(), static_cast<long long>(r.size), r.build_s, r.recall, r.qps, p50, bytes, r.rss_mb,
              r.ratio, r.ratio_to.c_str());
  std::fflush(stdout);
  g_rows.push_back(r);
}

// p50 of one query at a time (ms), over the first `n` queries.
template <typename Fn>
double p50_ms(int n, Fn&& one) {
  std::vector<double> lat;
  for (int i = 0; i < n; ++i) {
    auto t = Clock::now();
    one(i);
    lat.push_back(since(t) * 1e3);
  }
  std::sort(lat.begin(), lat.end());
  return lat.empty() ? 0 : lat[lat.size() / 2];
}

void run_size(const Args& a, const std::vector<float>& pool, std::int64_t size, const std::vector<float>& queries,
              const std::vector<float>& regions, int dim) {
  const int nq = static_cast<int>(queries.size() / dim), k = a.k;
  const int lat_n = std::min(a.latency_queries, nq);
  std::span<const float> base(pool.data(), static_cast<std::size_t>(size) * dim);
  std::vector<Id> ids(size);
  std::iota(ids.begin(), ids.end(), 0);
  const std::string sec = "search";

  // Brute force: scalar dot products and a full sort, parallel over queries (the baseline).
  const int nb = std::min(a.brute_queries, nq);
  auto t0 = Clock::now();
  ensemble::parallel_for(nb, a.threads, [&](std::int64_t q) {
    std::vector<std::pair<float, Id>> s(size);
    const float* qv = queries.data() + q * dim;
    for (std::int64_t i = 0; i < size; ++i) {
      const float* v = base.data() + i * dim;
      float d = 0;
      for (int j = 0; j < dim; ++j) d += qv[j] * v[j];
      s[i] = {-d, i};
    }
    std::sort(s.begin(), s.end());
  });
  const double brute_qps = nb / since(t0);
  print_row({sec, "brute force (scalar loop + sort)", size, 0, 1, brute_qps, 1e3 * a.threads / brute_qps, 4.0 * dim,
             0, 1.0, "brute"});

  // Ours, exact.
  double rss0 = rss_mb();
  auto exact = make_index("exact", dim);
  exact->set_threads(a.threads);
  t0 = Clock::now();
  exact->add(ids, base);
  const double exact_build = since(t0);
  const double exact_rss = rss_mb() - rss0;
  t0 = Clock::now();
  SearchResults truth = exact->search(queries, k);
  const double exact_qps = nq / since(t0);
  exact->set_threads(1);
  const double exact_p50 = p50_ms(lat_n, [&](int i) { exact->search({queries.data() + i * dim, size_t(dim)}, k); });
  exact->set_threads(a.threads);
  print_row({sec, "exact (ours: sgemm + top-k)", size, exact_build, 1, exact_qps, exact_p50, exact->bytes_per_vector(),
             exact_rss, exact_qps / brute_qps, "brute"});

#ifdef ENSEMBLE_WITH_FAISS
  {
    omp_set_num_threads(a.threads);
    rss0 = rss_mb();
    faiss::IndexFlatIP flat(dim);
    t0 = Clock::now();
    flat.add(size, base.data());
    const double fb = since(t0);
    const double frss = rss_mb() - rss0;
    std::vector<float> D(static_cast<std::size_t>(nq) * k);
    std::vector<faiss::Index::idx_t> I(D.size());
    t0 = Clock::now();
    flat.search(nq, queries.data(), k, D.data(), I.data());
    const double fqps = nq / since(t0);
    omp_set_num_threads(1);
    const double fp50 = p50_ms(lat_n, [&](int i) { flat.search(1, queries.data() + i * dim, k, D.data(), I.data()); });
    omp_set_num_threads(a.threads);
    print_row({sec, "faiss IndexFlatIP (Debian 1.7.3)", size, fb, 1, fqps, fp50, 4.0 * dim, frss, exact_qps / fqps,
               "ours-exact/faiss"});
  }
#else
  std::printf("| %s | faiss IndexFlatIP | %lld | skipped: built without FAISS (install libfaiss-dev) |\n", sec.c_str(),
              static_cast<long long>(size));
#endif
  exact.reset();

  for (const auto& spec : a.specs) {
    rss0 = rss_mb();
    auto hnsw = make_index(spec, dim);
    hnsw->set_threads(a.threads);
    t0 = Clock::now();
    hnsw->add(ids, base);
    const double build = since(t0);
    const double hrss = rss_mb() - rss0;
    std::string canon = canonical_index_spec(spec);
    std::vector<int> efs = a.efs;
    const int own_ef = std::stoi(canon.substr(canon.rfind("ef=") + 3));
    if (std::find(efs.begin(), efs.end(), own_ef) == efs.end()) efs.insert(efs.begin(), own_ef);
    for (int ef : efs) {
      std::string s = canon.substr(0, canon.rfind("ef=")) + "ef=" + std::to_string(ef);
      hnsw->set_search_params(s);
      t0 = Clock::now();
      SearchResults got = hnsw->search(queries, k);
      const double qps = nq / since(t0);
      hnsw->set_threads(1);
      const double p50 = p50_ms(lat_n, [&](int i) { hnsw->search({queries.data() + i * dim, size_t(dim)}, k); });
      hnsw->set_threads(a.threads);
      print_row({sec, s, size, build, recall(got, truth), qps, p50, hnsw->bytes_per_vector(), hrss, qps / exact_qps,
                 "q/s vs exact"});
    }
  }

#ifdef ENSEMBLE_WITH_FAISS
  if (size <= a.faiss_hnsw_max) {
    omp_set_num_threads(a.threads);
    rss0 = rss_mb();
    faiss::IndexHNSWFlat fh(dim, 32, faiss::METRIC_INNER_PRODUCT);
    t0 = Clock::now();
    fh.add(size, base.data());
    const double build = since(t0);
    const double frss = rss_mb() - rss0;
    for (int ef : {16, 32, 64, 128}) {
      fh.hnsw.efSearch = ef;
      std::vector<float> D(static_cast<std::size_t>(nq) * k);
      std::vector<faiss::Index::idx_t> I(D.size());
      t0 = Clock::now();
      fh.search(nq, queries.data(), k, D.data(), I.data());
      const double qps = nq / since(t0);
      SearchResults got;
      got.n = nq;
      got.k = k;
      got.ids.assign(I.begin(), I.end());
      got.scores = D;
      print_row({sec, "faiss IndexHNSWFlat M=32,efC=40,ef=" + std::to_string(ef), size, build, recall(got, truth), qps,
                 0, 0, frss, qps / exact_qps, "q/s vs exact"});
    }
  }
#endif

  // The match stage's kernel at this catalog size.
  const std::int64_t nr = static_cast<std::int64_t>(regions.size()) / dim;
  if (nr > 0) {
    std::vector<Id> rids(nr);
    std::iota(rids.begin(), rids.end(), 0);
    CrossOptions o;
    o.k_ab = 40;  // match.products_per_region × 4 (category-consistent vote)
    o.k_ba = 5;
    o.threads = a.threads;
    rss0 = rss_mb();
    t0 = Clock::now();
    auto cross = cross_search(rids, regions, ids, base, dim, o);
    const double tc = since(t0);
    const double crss = rss_mb() - rss0;
    double two = 0;
    if (size <= 200000) {
      auto ip = make_index("exact", dim), ir = make_index("exact", dim);
      ip->set_threads(a.threads);
      ir->set_threads(a.threads);
      ip->add(ids, base);
      ir->add(rids, regions);
      t0 = Clock::now();
      ip->search(regions, 40);
      ir->search(base, 5);
      two = since(t0);
    }
    print_row({"match", "cross_search " + std::to_string(nr) + " regions (build s = its time)", size, tc, 1,
               (nr + size) / tc, 0, 0, crss, two > 0 ? two / tc : 0, two > 0 ? "vs two exact searches" : "(baseline skipped > 200K)"});
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string k = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error(k + " needs a value");
        return argv[++i];
      };
      if (k == "--db") a.db = next();
      else if (k == "--json") a.json = next();
      else if (k == "--sizes") {
        a.sizes.clear();
        for (auto& s : split(next(), ',')) a.sizes.push_back(std::stoll(s));
      } else if (k == "--queries") a.queries = std::stoi(next());
      else if (k == "--k") a.k = std::stoi(next());
      else if (k == "--threads") a.threads = std::stoi(next());
      else if (k == "--specs") a.specs = split(next(), ';');
      else if (k == "--ef") {
        a.efs.clear();
        for (auto& s : split(next(), ',')) a.efs.push_back(std::stoi(s));
      } else if (k == "--centres") a.centres = std::stoi(next());
      else if (k == "--regions") a.regions = std::stoll(next());
      else if (k == "--faiss-hnsw-max") a.faiss_hnsw_max = std::stoll(next());
      else if (k == "--brute-queries") a.brute_queries = std::stoi(next());
      else if (k == "--latency-queries") a.latency_queries = std::stoi(next());
      else {
        std::fprintf(stderr, "usage: see the comment at the top of bench/index_scale_eval.cc\n");
        return 1;
      }
    }
    if (a.db.empty()) throw std::runtime_error("--db DB is required (a database after `ensemble run`)");
    int dim = 0, rdim = 0;
    std::vector<float> real = read_vectors(a.db, "product", &dim);
    std::vector<float> regions = read_vectors(a.db, "region", &rdim);
    const std::int64_t nr = dim > 0 ? static_cast<std::int64_t>(real.size()) / dim : 0;
    if (nr < 2 * a.queries) throw std::runtime_error(a.db + ": too few product vectors");
    // Held-out queries: every step-th real product.
    std::vector<float> queries, kept;
    const std::int64_t step = nr / a.queries;
    for (std::int64_t i = 0; i < nr; ++i) {
      auto* row = real.data() + i * dim;
      auto& to = (i % step == step - 1 && static_cast<int>(queries.size() / dim) < a.queries) ? queries : kept;
      to.insert(to.end(), row, row + dim);
    }
    const std::int64_t nkept = static_cast<std::int64_t>(kept.size()) / dim;
    const std::int64_t max_size = *std::max_element(a.sizes.begin(), a.sizes.end());
    auto t0 = Clock::now();
    std::vector<float> pool = kept;
    if (max_size > nkept) {
      auto syn = synthesise(kept, dim, a.centres, max_size - nkept, a.threads);
      pool.insert(pool.end(), syn.begin(), syn.end());
    }
    if (a.regions >= 0) {
      regions = synthesise(kept, dim, a.centres, a.regions, a.threads);
    }
    std::printf("## eval_index_scale: %lld real product vectors (%d dims) from %s, %d held out as queries; "
                "%lld regions; pool of %lld (%lld synthetic, drawn in %.1f s); k=%d, threads %d\n\n",
                static_cast<long long>(nr), dim, a.db.c_str(), a.queries,
                static_cast<long long>(regions.size() / std::max(dim, 1)), static_cast<long long>(pool.size() / dim),
                static_cast<long long>(std::max<std::int64_t>(0, max_size - nkept)), since(t0), a.k, a.threads);
    std::printf("| section | method | products | build s | recall@%d | items/s | 1-query p50 ms (1 thread) | bytes/product | "
                "RSS growth MB | ratio |\n|---|---|---|---|---|---|---|---|---|---|\n", a.k);
    for (std::int64_t size : a.sizes) run_size(a, pool, size, queries, regions, dim);
    std::printf("\npeak RSS %.0f MB\n", peak_rss_mb());
    if (!a.json.empty()) {
      std::ofstream out(a.json);
      out << "[\n";
      for (std::size_t i = 0; i < g_rows.size(); ++i) {
        const Row& r = g_rows[i];
        char buf[1024];
        std::snprintf(buf, sizeof buf,
                      "  {\"section\": \"%s\", \"method\": \"%s\", \"size\": %lld, \"build_s\": %.4f, \"recall\": %.4f, "
                      "\"items_per_s\": %.2f, \"p50_ms\": %.4f, \"bytes_per_vector\": %.0f, \"rss_mb\": %.1f, "
                      "\"ratio\": %.4f, \"ratio_to\": \"%s\"}%s\n",
                      r.section.c_str(), r.method.c_str(), static_cast<long long>(r.size), r.build_s, r.recall, r.qps,
                      r.p50_ms, r.bytes_per_vector, r.rss_mb, r.ratio, r.ratio_to.c_str(),
                      i + 1 < g_rows.size() ? "," : "");
        out << buf;
      }
      out << "]\n";
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_index_scale: %s\n", e.what());
    return 1;
  }
  return 0;
}
