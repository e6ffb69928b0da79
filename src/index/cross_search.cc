#include "ensemble/index/cross_search.h"

#include <algorithm>
#include <vector>

#include "ensemble/util/error.h"
#include "ensemble/util/gemm.h"
#include "ensemble/util/parallel.h"
#include "index/top_k.h"

namespace ensemble::index {

CrossResults cross_search(std::span<const Id> a_ids, std::span<const float> a, std::span<const Id> b_ids,
                          std::span<const float> b, int dim, const CrossOptions& o) {
  if (dim < 1 || a.size() != a_ids.size() * static_cast<std::size_t>(dim) ||
      b.size() != b_ids.size() * static_cast<std::size_t>(dim)) {
    throw Error(ErrorCode::kInvalidArgument, "cross_search: vector counts do not match ids × dim");
  }
  if (o.k_ab < 1 || o.k_ba < 0) throw Error(ErrorCode::kInvalidArgument, "cross_search: k_ab >= 1 and k_ba >= 0 required");
  const std::int64_t na = static_cast<std::int64_t>(a_ids.size()), nb = static_cast<std::int64_t>(b_ids.size());
  // A blocks of 256 rows × B blocks of 4,096 rows: a 4 MB score block that the column scan
  // still finds in cache.
  const std::int64_t ab = 256, bb = 4096;
  std::vector<detail::TopK> rows(na, detail::TopK(o.k_ab));
  std::vector<detail::TopK> cols(o.k_ba > 0 ? nb : 0, detail::TopK(std::max(o.k_ba, 1)));
  std::vector<float> col_thr(cols.size(), o.min_score);
  std::vector<float> scores(static_cast<std::size_t>(ab * bb));
  for (std::int64_t a0 = 0; a0 < na; a0 += ab) {
    const std::int64_t an = std::min(ab, na - a0);
    for (std::int64_t b0 = 0; b0 < nb; b0 += bb) {
      const std::int64_t bn = std::min(bb, nb - b0);
      gemm::nt(an, bn, dim, a.data() + a0 * dim, dim, b.data() + b0 * dim, dim, 0.0f, scores.data(), bn, o.threads);
      // Rows (A → B): each thread owns whole rows.
      parallel_for(an, o.threads, [&](std::int64_t i) {
        detail::TopK& top = rows[a0 + i];
        const float* s = scores.data() + i * bn;
        const Id aid = a_ids[a0 + i];
        float thr = std::max(top.threshold(), o.min_score);
        for (std::int64_t j = 0; j < bn; ++j) {
          if (s[j] < thr) continue;
          const Id bid = b_ids[b0 + j];
          if (o.filter && !(*o.filter)(aid, bid)) continue;
          top.push(s[j], bid);
          thr = std::max(top.threshold(), o.min_score);
        }
      });
      if (o.k_ba == 0) continue;
      // Columns (B → A): each thread owns a range of columns and walks the rows in order, so
      // reads stay contiguous.
      const std::int64_t span = 512;
      parallel_for((bn + span - 1) / span, o.threads, [&](std::int64_t c) {
        const std::int64_t j0 = c * span, j1 = std::min(bn, j0 + span);
        for (std::int64_t i = 0; i < an; ++i) {
          const float* s = scores.data() + i * bn;
          const Id aid = a_ids[a0 + i];
          for (std::int64_t j = j0; j < j1; ++j) {
            if (s[j] < col_thr[b0 + j]) continue;
            const Id bid = b_ids[b0 + j];
            if (o.filter && !(*o.filter)(aid, bid)) continue;
            detail::TopK& top = cols[b0 + j];
            top.push(s[j], aid);
            col_thr[b0 + j] = std::max(top.threshold(), o.min_score);
          }
        }
      });
    }
  }
  CrossResults out;
  out.a_to_b.n = na;
  out.a_to_b.k = o.k_ab;
  out.a_to_b.ids.resize(na * o.k_ab);
  out.a_to_b.scores.resize(na * o.k_ab);
  for (std::int64_t i = 0; i < na; ++i) rows[i].emit(out.a_to_b.ids.data() + i * o.k_ab, out.a_to_b.scores.data() + i * o.k_ab);
  out.b_to_a.n = o.k_ba > 0 ? nb : 0;
  out.b_to_a.k = o.k_ba;
  out.b_to_a.ids.resize(out.b_to_a.n * o.k_ba);
  out.b_to_a.scores.resize(out.b_to_a.n * o.k_ba);
  for (std::int64_t j = 0; j < out.b_to_a.n; ++j) cols[j].emit(out.b_to_a.ids.data() + j * o.k_ba, out.b_to_a.scores.data() + j * o.k_ba);
  return out;
}

}  // namespace ensemble::index
