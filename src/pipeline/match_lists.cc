// Top-k lists of the match stage: exact lists from an sgemm pass, merging, and the stored lists'
// reader and writer (match_lists.h).
#include "pipeline/match_lists.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>

#include "ensemble/index/cross_search.h"
#include "ensemble/util/parallel.h"

namespace ensemble::pipeline::match {

namespace {

// Where `pos` is in `list`, or -1.
int find_pos(std::span<const Hit> list, index::Id pos) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].pos == pos) return static_cast<int>(i);
  }
  return -1;
}

// Row q of a SearchResults, best first.
HitList hits_of(const index::SearchResults& r, size_t q) {
  HitList out;
  if (r.n == 0) return out;
  for (int j = 0; j < r.count(static_cast<std::int64_t>(q)); ++j) {
    out.push_back({r.id(static_cast<std::int64_t>(q), j), r.score(static_cast<std::int64_t>(q), j)});
  }
  return out;
}

// The score that is stored and ranked: the dot product accumulated in double in index order,
// rounded to float. Unlike an sgemm result it does not depend on where the pair sat in a block, so
// a pair scores the same in a full pass and in an incremental one. Four rows at a time: each sum is
// still accumulated in index order (so the same value as one at a time; a float × float product is
// exact in double, so a fused multiply-add cannot change it either); the four independent sums
// only let the CPU overlap their additions.
void canonical_dots(const float* query, const VectorSet& other, const index::Id* pos, size_t n,
                    float* out) {
  const int dim = other.dim;
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *b0 = other.row(pos[j]), *b1 = other.row(pos[j + 1]), *b2 = other.row(pos[j + 2]),
                *b3 = other.row(pos[j + 3]);
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int i = 0; i < dim; ++i) {
      const auto a = static_cast<double>(query[i]);
      s0 += a * static_cast<double>(b0[i]);
      s1 += a * static_cast<double>(b1[i]);
      s2 += a * static_cast<double>(b2[i]);
      s3 += a * static_cast<double>(b3[i]);
    }
    out[j] = static_cast<float>(s0);
    out[j + 1] = static_cast<float>(s1);
    out[j + 2] = static_cast<float>(s2);
    out[j + 3] = static_cast<float>(s3);
  }
  for (; j < n; ++j) {
    const float* b = other.row(pos[j]);
    double s = 0;
    for (int i = 0; i < dim; ++i) s += static_cast<double>(query[i]) * static_cast<double>(b[i]);
    out[j] = static_cast<float>(s);
  }
}

// Extra candidates fetched from the sgemm pass beyond k, so that the canonical top k is among them.
constexpr int kMargin = 8;

// The exact top k (canonical scores >= min_sim; score desc, position asc) of `query` among the
// rows `candidates` of `other`, given `sg`: the sgemm pass's best (k + kMargin) of them with
// scores within `tol` of the canonical ones. When the sgemm list cannot prove that nothing outside
// it belongs (its last score is not clearly below the k-th canonical score), every candidate is
// scored canonically. `floor`: the caller only wants candidates scoring at least that (the k-th
// score of a stored list they would merge into); when the best sgemm score is clearly below it,
// the list is empty.
HitList refine(const float* query, const VectorSet& other, const std::vector<index::Id>& candidates,
               const HitList& sg, int k, float min_sim, float tol, float floor,
               std::atomic<std::int64_t>* rescans) {
  if (sg.empty() || sg.front().score < floor - 2 * tol) return {};
  auto scored = [&](const index::Id* pos, size_t n) {
    std::vector<float> s(n);
    canonical_dots(query, other, pos, n, s.data());
    HitList out;
    for (size_t i = 0; i < n; ++i) {
      if (s[i] >= min_sim) out.push_back({pos[i], s[i]});
    }
    std::sort(out.begin(), out.end(), better);
    return out;
  };
  std::vector<index::Id> sg_pos(sg.size());
  for (size_t i = 0; i < sg.size(); ++i) sg_pos[i] = sg[i].pos;
  HitList out = scored(sg_pos.data(), sg_pos.size());
  if (static_cast<int>(sg.size()) >= k + kMargin) {
    const float bar = static_cast<int>(out.size()) >= k ? out[static_cast<size_t>(k - 1)].score : min_sim;
    if (!(sg.back().score < bar - 2 * tol)) {
      ++*rescans;
      out = scored(candidates.data(), candidates.size());
    }
  }
  if (static_cast<int>(out.size()) > k) out.resize(static_cast<size_t>(k));
  return out;
}

}  // namespace

bool better(const Hit& a, const Hit& b) { return a.score > b.score || (a.score == b.score && a.pos < b.pos); }

HitList merge_top(std::span<const Hit> a, std::span<const Hit> b, int k) {
  HitList out;
  out.reserve(static_cast<size_t>(k));
  size_t i = 0, j = 0;
  while (static_cast<int>(out.size()) < k && (i < a.size() || j < b.size())) {
    if (j >= b.size() || (i < a.size() && better(a[i], b[j]))) {
      out.push_back(a[i++]);
    } else {
      out.push_back(b[j++]);
    }
  }
  return out;
}

bool same_list(std::span<const Hit> a, std::span<const Hit> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].pos != b[i].pos) return false;
  }
  return true;
}

const HitList& row(const std::vector<HitList>& lists, size_t i) {
  static const HitList none;
  return i < lists.size() ? lists[i] : none;
}

// The sgemm pass over-fetches kMargin candidates per list (at min_score lowered by twice the error
// bound), then refine() makes each list exact.
Lists cross(const VectorSet& regions, const std::vector<index::Id>& rpos, const VectorSet& products,
            const std::vector<index::Id>& ppos, int k_ab, int k_ba, float min_sim, int threads,
            ScoreCounters* c, const std::vector<float>& floor_a, const std::vector<float>& floor_b) {
  Lists lists;
  if (rpos.empty() || ppos.empty()) return lists;
  const int dim = std::max(products.dim, regions.dim);
  // Bound on |sgemm score - exact dot| for unit vectors (about dim × float epsilon), with room.
  const float tol = 1e-6f + static_cast<float>(dim) * 1.2e-7f;
  index::CrossOptions co;
  co.k_ab = k_ab + kMargin;
  co.k_ba = k_ba > 0 ? k_ba + kMargin : 0;
  co.min_score = std::max(-2.0f, min_sim - 2 * tol);
  co.threads = threads;
  const auto t0 = std::chrono::steady_clock::now();
  const bool all_r = rpos.size() == regions.size() && regions.all_loaded();
  const bool all_p = ppos.size() == products.size() && products.all_loaded();
  std::vector<float> rv, pv;
  if (!all_r) rv = gather(regions, rpos);
  if (!all_p) pv = gather(products, ppos);
  const auto out = index::cross_search(rpos, all_r ? std::span<const float>(regions.values) : rv, ppos,
                                       all_p ? std::span<const float>(products.values) : pv, dim, co);
  std::atomic<std::int64_t> rescans{0};
  auto floor_of = [](const std::vector<float>& floors, std::int64_t i) {
    return floors.empty() ? kNoFloor : floors[static_cast<size_t>(i)];
  };
  lists.a_to_b.resize(rpos.size());
  parallel_for(static_cast<std::int64_t>(rpos.size()), threads, [&](std::int64_t i) {
    lists.a_to_b[static_cast<size_t>(i)] =
        refine(regions.row(rpos[static_cast<size_t>(i)]), products, ppos, hits_of(out.a_to_b, static_cast<size_t>(i)),
               k_ab, min_sim, tol, floor_of(floor_a, i), &rescans);
  });
  if (k_ba > 0) {
    lists.b_to_a.resize(ppos.size());
    parallel_for(static_cast<std::int64_t>(ppos.size()), threads, [&](std::int64_t j) {
      lists.b_to_a[static_cast<size_t>(j)] =
          refine(products.row(ppos[static_cast<size_t>(j)]), regions, rpos, hits_of(out.b_to_a, static_cast<size_t>(j)),
                 k_ba, min_sim, tol, floor_of(floor_b, j), &rescans);
    });
  }
  c->kernel_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  c->pairs_scored += static_cast<std::int64_t>(rpos.size() * ppos.size());
  c->rescans += rescans.load();
  return lists;
}

bool read_stored_lists(store::Database& db, const VectorSet& products, const VectorSet& regions,
                       const std::unordered_map<std::string_view, index::Id>& product_at,
                       StoredLists* rp, StoredLists* pr) {
  std::unordered_map<std::int64_t, index::Id> region_at;
  region_at.reserve(regions.size());
  for (size_t i = 0; i < regions.size(); ++i) region_at.emplace(regions.numbers[i], static_cast<index::Id>(i));
  for (StoredLists* s : {rp, pr}) {
    const size_t owners = s == rp ? regions.size() : products.size();
    s->hits.assign(s->k > 0 ? owners * static_cast<size_t>(s->k) : 0, Hit{-1, 0});
    s->rowids.assign(s->hits.size(), 0);
    s->len.assign(s->k > 0 ? owners : 0, 0);
  }
  std::string sql =
      "SELECT direction = 'product_to_region', region_id, product_id, rank, score, rowid FROM matches"
      " NOT INDEXED";
  if (rp->k == 0) sql += " WHERE direction = 'product_to_region'";
  if (pr->k == 0) sql += " WHERE direction = 'region_to_product'";
  auto st = db.prepare(sql);
  while (st.step()) {
    const bool by_product = st.column_int(0) != 0;
    const auto r = region_at.find(st.column_int(1));
    const auto pi = product_at.find(st.column_text(2));
    if (r == region_at.end() || pi == product_at.end()) return false;
    StoredLists& s = by_product ? *pr : *rp;
    const std::int64_t rank = st.column_int(3);
    if (rank < 1 || rank > s.k) return false;
    const index::Id owner = by_product ? pi->second : r->second;
    const size_t at = static_cast<size_t>(owner) * static_cast<size_t>(s.k) + static_cast<size_t>(rank - 1);
    if (s.hits[at].pos >= 0) return false;  // two rows of one rank
    s.hits[at] = {by_product ? r->second : pi->second, static_cast<float>(st.column_double(4))};
    s.rowids[at] = st.column_int(5);
    ++s.len[static_cast<size_t>(owner)];
  }
  // Ranks 1..len of every list.
  for (const StoredLists* s : {rp, pr}) {
    for (size_t o = 0; o < s->len.size(); ++o) {
      for (int j = 0; j < s->len[o]; ++j) {
        if (s->hits[o * static_cast<size_t>(s->k) + static_cast<size_t>(j)].pos < 0) return false;
      }
    }
  }
  return true;
}

MatchWriter::MatchWriter(store::Database& db, std::int64_t run_id)
    : ins_(db.prepare("INSERT INTO matches (direction, region_id, product_id, rank, score, run_id)"
                      " VALUES (?,?,?,?,?,?)")),
      del_(db.prepare("DELETE FROM matches WHERE rowid = ?")),
      rerank_(db.prepare("UPDATE matches SET rank = ?, run_id = ? WHERE rowid = ?")),
      to_product_(db.prepare("UPDATE matches SET product_id = ?, rank = ?, score = ?, run_id = ?"
                             " WHERE rowid = ?")),
      to_region_(db.prepare("UPDATE matches SET region_id = ?, rank = ?, score = ?, run_id = ?"
                            " WHERE rowid = ?")),
      run_id_(run_id) {}

void MatchWriter::insert(const char* direction, std::int64_t region, std::string_view product, int rank,
                         float score) {
  ins_.bind(1, direction).bind(2, region).bind(3, product).bind(4, rank)
      .bind(5, static_cast<double>(score)).bind(6, run_id_);
  ins_.run();
  ++written;
}

// With as few row writes as it takes: an entry that joined takes over the row of one that left
// (only its other-side id, rank and score change), else it is inserted (`join`, with the row to
// take over or nullptr); an entry that stayed but moved gets its new rank; rows of entries that
// left and were not taken over are deleted; the rest are left as they are.
template <typename Join>
void MatchWriter::rewrite(std::span<const Hit> old, std::span<const std::int64_t> rowids,
                          std::span<const Hit> merged, Join join) {
  std::vector<std::int64_t> free;
  for (size_t i = 0; i < old.size(); ++i) {
    if (find_pos(merged, old[i].pos) < 0) free.push_back(rowids[i]);
  }
  for (size_t j = 0; j < merged.size(); ++j) {
    const int was = find_pos(old, merged[j].pos);
    const int rank = static_cast<int>(j) + 1;
    if (was == static_cast<int>(j)) continue;
    if (was >= 0) {
      rerank_.bind(1, rank).bind(2, run_id_).bind(3, rowids[static_cast<size_t>(was)]);
      rerank_.run();
      ++written;
    } else if (free.empty()) {
      join(merged[j], rank, nullptr);
    } else {
      join(merged[j], rank, &free.back());
      free.pop_back();
    }
  }
  for (const std::int64_t row : free) {
    del_.bind(1, row);
    del_.run();
  }
}

void MatchWriter::rewrite_region_list(std::int64_t region, std::span<const Hit> old,
                                      std::span<const std::int64_t> rowids, std::span<const Hit> merged,
                                      const VectorSet& products) {
  rewrite(old, rowids, merged, [&](const Hit& h, int rank, const std::int64_t* row) {
    const std::string& product = products.ids[static_cast<size_t>(h.pos)];
    if (row == nullptr) return insert("region_to_product", region, product, rank, h.score);
    to_product_.bind(1, product).bind(2, rank).bind(3, static_cast<double>(h.score)).bind(4, run_id_)
        .bind(5, *row);
    to_product_.run();
    ++written;
  });
}

void MatchWriter::rewrite_product_list(std::string_view product, std::span<const Hit> old,
                                       std::span<const std::int64_t> rowids, std::span<const Hit> merged,
                                       const VectorSet& regions) {
  rewrite(old, rowids, merged, [&](const Hit& h, int rank, const std::int64_t* row) {
    const std::int64_t region = regions.numbers[static_cast<size_t>(h.pos)];
    if (row == nullptr) return insert("product_to_region", region, product, rank, h.score);
    to_region_.bind(1, region).bind(2, rank).bind(3, static_cast<double>(h.score)).bind(4, run_id_)
        .bind(5, *row);
    to_region_.run();
    ++written;
  });
}

}  // namespace ensemble::pipeline::match
