// "exact": brute-force inner-product search with sgemm (util/gemm.h) and a partial top-k.
#pragma once

#include <unordered_map>
#include <vector>

#include "ensemble/index/vector_index.h"
#include "index/index_file.h"

namespace ensemble::index::detail {

class ExactIndex final : public VectorIndex {
 public:
  explicit ExactIndex(int dim);

  std::string spec() const override { return "exact"; }
  int dim() const override { return dim_; }
  std::int64_t size() const override { return static_cast<std::int64_t>(ids_.size()); }
  bool contains(Id id) const override { return pos_.count(id) != 0; }
  std::vector<Id> ids() const override { return ids_; }
  void add(std::span<const Id> ids, std::span<const float> vectors) override;
  std::int64_t remove(std::span<const Id> ids) override;
  SearchResults search(std::span<const float> queries, int k, const IdFilter* filter) const override;
  void set_search_params(std::string_view spec) override;
  void save(const std::filesystem::path& path) const override;
  double bytes_per_vector() const override { return dim_ * sizeof(float) + sizeof(Id) + 2.5 * sizeof(Id); }

  static std::unique_ptr<ExactIndex> read(FileReader& reader);

  // Query rows per sgemm block and database rows per block: the score buffer is their product
  // (at most 256 × 16,384 floats = 16 MB), so memory stays bounded at any catalog size.
  static constexpr std::int64_t kQueryBlock = 256;
  static constexpr std::int64_t kBaseBlock = 16384;

 private:
  const float* stored_vector(Id id) const override;

  int dim_;
  std::vector<float> data_;  // size() × dim_, row i belongs to ids_[i]
  std::vector<Id> ids_;
  std::unordered_map<Id, std::int64_t> pos_;
};

}  // namespace ensemble::index::detail
