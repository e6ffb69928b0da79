#include "pipeline/match_kernel.h"

#include <cblas.h>

#include <algorithm>
#include <limits>
#include <thread>

namespace ensemble::pipeline {

namespace {

// Better = higher score, then lower index.
inline bool better(const Hit& x, const Hit& y) {
  return x.score > y.score || (x.score == y.score && x.index < y.index);
}

// A bounded min-heap keeping the k best hits; worst() is the admission threshold.
class TopK {
 public:
  explicit TopK(int k = 0) : k_(k) { heap_.reserve(static_cast<size_t>(k)); }
  void push(Hit h) {
    if (k_ <= 0) return;
    if (static_cast<int>(heap_.size()) < k_) {
      heap_.push_back(h);
      std::push_heap(heap_.begin(), heap_.end(), better);
    } else if (better(h, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), better);
      heap_.back() = h;
      std::push_heap(heap_.begin(), heap_.end(), better);
    }
  }
  // Scores that cannot enter: below this (when full).
  float threshold() const {
    return static_cast<int>(heap_.size()) < k_ ? -std::numeric_limits<float>::infinity()
                                               : heap_.front().score;
  }
  std::vector<Hit> sorted() const {
    std::vector<Hit> out = heap_;
    std::sort(out.begin(), out.end(), better);
    return out;
  }

 private:
  int k_;
  std::vector<Hit> heap_;
};

}  // namespace

MatchLists match_both_ways(const float* a, std::int64_t na, const float* b, std::int64_t nb, int dim,
                           int k_ab, int k_ba, float min_score, int threads) {
  MatchLists out;
  out.a_to_b.resize(static_cast<size_t>(na));
  out.b_to_a.resize(static_cast<size_t>(nb));
  if (na == 0 || nb == 0) return out;
  threads = std::max(1, threads);

  // Scores of one block of A against all of B, stored B-major: block[j * bs + i] = <b_j, a_i>.
  // The block size keeps the score buffer near 64 M floats (256 MB) at most.
  const std::int64_t bs = std::clamp<std::int64_t>((64LL << 20) / std::max<std::int64_t>(nb, 1), 32, 1024);
  std::vector<float> scores(static_cast<size_t>(nb * std::min(bs, na)));

  std::vector<TopK> b_top(static_cast<size_t>(nb), TopK(k_ba));
  // Each worker owns a slice of B rows; for A it keeps its own top-k per A row of the block, merged
  // after the block.
  for (std::int64_t a0 = 0; a0 < na; a0 += bs) {
    const std::int64_t n = std::min(bs, na - a0);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(nb), static_cast<int>(n),
                dim, 1.0f, b, dim, a + a0 * dim, dim, 0.0f, scores.data(), static_cast<int>(n));
    std::vector<std::vector<TopK>> a_top(static_cast<size_t>(threads),
                                         std::vector<TopK>(static_cast<size_t>(n), TopK(k_ab)));
    auto work = [&](int t) {
      const std::int64_t j0 = nb * t / threads, j1 = nb * (t + 1) / threads;
      auto& mine = a_top[static_cast<size_t>(t)];
      for (std::int64_t j = j0; j < j1; ++j) {
        const float* row = scores.data() + j * n;
        TopK& bt = b_top[static_cast<size_t>(j)];
        for (std::int64_t i = 0; i < n; ++i) {
          const float s = row[i];
          if (s < min_score) continue;
          if (s >= mine[static_cast<size_t>(i)].threshold()) {
            mine[static_cast<size_t>(i)].push({static_cast<std::int32_t>(j), s});
          }
          if (s >= bt.threshold()) bt.push({static_cast<std::int32_t>(a0 + i), s});
        }
      }
    };
    if (threads == 1) {
      work(0);
    } else {
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
      for (auto& th : pool) th.join();
    }
    for (std::int64_t i = 0; i < n; ++i) {
      TopK merged(k_ab);
      for (int t = 0; t < threads; ++t) {
        for (const Hit& h : a_top[static_cast<size_t>(t)][static_cast<size_t>(i)].sorted()) {
          merged.push(h);
        }
      }
      out.a_to_b[static_cast<size_t>(a0 + i)] = merged.sorted();
    }
  }
  for (std::int64_t j = 0; j < nb; ++j) out.b_to_a[static_cast<size_t>(j)] = b_top[static_cast<size_t>(j)].sorted();
  return out;
}

}  // namespace ensemble::pipeline
