#include "index/exact_index.h"

#include <algorithm>
#include <cstring>

#include "ensemble/util/error.h"
#include "ensemble/util/gemm.h"
#include "index/dot_kernel.h"
#include "ensemble/util/parallel.h"
#include "index/top_k.h"

namespace ensemble::index::detail {

ExactIndex::ExactIndex(int dim) : dim_(dim) {}

void ExactIndex::add(std::span<const Id> ids, std::span<const float> vectors) {
  if (vectors.size() != ids.size() * static_cast<std::size_t>(dim_)) {
    throw Error(ErrorCode::kInvalidArgument, "index add: " + std::to_string(vectors.size()) + " floats for " +
                                                 std::to_string(ids.size()) + " ids of dimension " +
                                                 std::to_string(dim_));
  }
  data_.reserve(data_.size() + vectors.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const float* v = vectors.data() + i * dim_;
    auto [it, inserted] = pos_.try_emplace(ids[i], static_cast<std::int64_t>(ids_.size()));
    if (inserted) {
      ids_.push_back(ids[i]);
      data_.insert(data_.end(), v, v + dim_);
    } else {
      std::memcpy(data_.data() + it->second * dim_, v, sizeof(float) * dim_);
    }
  }
}

std::int64_t ExactIndex::remove(std::span<const Id> ids) {
  std::int64_t removed = 0;
  for (Id id : ids) {
    auto it = pos_.find(id);
    if (it == pos_.end()) continue;
    // Move the last row into the hole: O(dim) per removal, order is not part of the contract.
    std::int64_t hole = it->second, last = static_cast<std::int64_t>(ids_.size()) - 1;
    pos_.erase(it);
    if (hole != last) {
      std::memcpy(data_.data() + hole * dim_, data_.data() + last * dim_, sizeof(float) * dim_);
      ids_[hole] = ids_[last];
      pos_[ids_[hole]] = hole;
    }
    ids_.pop_back();
    data_.resize(data_.size() - dim_);
    ++removed;
  }
  return removed;
}

SearchResults ExactIndex::search(std::span<const float> queries, int k, const IdFilter* filter) const {
  SearchResults out = start_search(queries, k, dim_);
  const std::int64_t base = size();
  if (out.n == 0) return out;
  const std::int64_t qb = std::min(kQueryBlock, out.n);
  const std::int64_t bb = std::min(kBaseBlock, std::max<std::int64_t>(base, 1));
  std::vector<float> scores(static_cast<std::size_t>(qb * bb));
  std::vector<TopK> tops;
  for (std::int64_t q0 = 0; q0 < out.n; q0 += qb) {
    const std::int64_t nq = std::min(qb, out.n - q0);
    tops.assign(nq, TopK(k));
    for (std::int64_t b0 = 0; b0 < base; b0 += bb) {
      const std::int64_t nb = std::min(bb, base - b0);
      if (nq <= kDotMaxQueries) {
        // A few queries: one pass over the rows with our own vectorised loop, split over threads
        // by row ranges (see dot_kernel.h for why not gemv/gemm here).
        const std::int64_t chunk = 2048;
        const int threads = nb >= 2 * chunk ? threads_ : 1;
        parallel_for((nb + chunk - 1) / chunk, threads, [&](std::int64_t c) {
          const std::int64_t r0 = c * chunk, rn = std::min(chunk, nb - r0);
          dot_rows(data_.data() + (b0 + r0) * dim_, rn, dim_, queries.data() + q0 * dim_, static_cast<int>(nq),
                   scores.data() + r0, nb);
        });
      } else {
        gemm::nt(nq, nb, dim_, queries.data() + q0 * dim_, dim_, data_.data() + b0 * dim_, dim_, 0.0f, scores.data(),
                 nb, threads_);
      }
      // Partial top-k per query row; rows are independent, so split them over threads.
      auto scan = [&](std::int64_t i) {
        TopK& top = tops[i];
        const float* s = scores.data() + i * nb;
        const Id* ids = ids_.data() + b0;
        float thr = top.threshold();
        for (std::int64_t j = 0; j < nb; ++j) {
          if (s[j] < thr) continue;
          if (filter && !(*filter)(ids[j])) continue;
          top.push(s[j], ids[j]);
          thr = top.threshold();
        }
      };
      const int threads = nq * nb >= (1 << 18) ? threads_ : 1;
      parallel_for(nq, threads, scan);
    }
    for (std::int64_t i = 0; i < nq; ++i) tops[i].emit(out.ids.data() + (q0 + i) * k, out.scores.data() + (q0 + i) * k);
  }
  return out;
}

void ExactIndex::set_search_params(std::string_view spec) {
  if (canonical_index_spec(spec) != "exact") {
    throw Error(ErrorCode::kInvalidArgument, "an exact index cannot take the parameters of '" + std::string(spec) + "'");
  }
}

void ExactIndex::save(const std::filesystem::path& path) const {
  FileWriter w({IndexKind::kExact, static_cast<std::uint32_t>(dim_), size(), spec(), metadata_});
  w.bytes().reserve(w.bytes().size() + ids_.size() * sizeof(Id) + data_.size() * sizeof(float) + 8);
  w.put_bytes(ids_.data(), ids_.size() * sizeof(Id));
  w.put_bytes(data_.data(), data_.size() * sizeof(float));
  w.commit(path);
}

std::unique_ptr<ExactIndex> ExactIndex::read(FileReader& r) {
  const auto& h = r.header();
  const std::size_t need = static_cast<std::size_t>(h.count) * (sizeof(Id) + h.dim * sizeof(float));
  if (r.remaining() != need) {
    r.fail("holds " + std::to_string(r.remaining()) + " bytes of vectors, " + std::to_string(need) + " expected for " +
           std::to_string(h.count) + " × " + std::to_string(h.dim));
  }
  auto index = std::make_unique<ExactIndex>(static_cast<int>(h.dim));
  index->ids_.resize(h.count);
  std::memcpy(index->ids_.data(), r.take(h.count * sizeof(Id)), h.count * sizeof(Id));
  index->data_.resize(static_cast<std::size_t>(h.count) * h.dim);
  std::memcpy(index->data_.data(), r.take(index->data_.size() * sizeof(float)), index->data_.size() * sizeof(float));
  index->pos_.reserve(h.count);
  for (std::int64_t i = 0; i < h.count; ++i) {
    if (!index->pos_.emplace(index->ids_[i], i).second) r.fail("duplicate id " + std::to_string(index->ids_[i]));
  }
  index->metadata_ = h.metadata;
  return index;
}

const float* ExactIndex::stored_vector(Id id) const {
  const auto it = pos_.find(id);
  return it == pos_.end() ? nullptr : data_.data() + it->second * dim_;
}

}  // namespace ensemble::index::detail
