// "hnsw:M=..,efC=..,ef=..": an hnswlib HNSW graph over inner product.
// hnswlib stays inside hnsw_index.cc; this header only names the class.
#pragma once

#include <memory>

#include "ensemble/index/vector_index.h"
#include "index/index_file.h"

namespace ensemble::index::detail {

struct HnswParams {
  int M = 32;
  int ef_construction = 200;
  int ef_search = 64;
};

// Parses "hnsw" / "hnsw:M=32,efC=200,ef=64" (any subset, any order). Throws Error(kInvalidArgument).
HnswParams parse_hnsw_spec(std::string_view spec);
std::string hnsw_spec(const HnswParams& p);

class HnswIndex final : public VectorIndex {
 public:
  HnswIndex(int dim, HnswParams params);
  ~HnswIndex() override;

  std::string spec() const override { return hnsw_spec(params_); }
  int dim() const override { return dim_; }
  std::int64_t size() const override;
  bool contains(Id id) const override;
  std::vector<Id> ids() const override;
  void add(std::span<const Id> ids, std::span<const float> vectors) override;
  std::int64_t remove(std::span<const Id> ids) override;
  SearchResults search(std::span<const float> queries, int k, const IdFilter* filter) const override;
  void set_search_params(std::string_view spec) override;
  void save(const std::filesystem::path& path) const override;
  double bytes_per_vector() const override;

  // The graph file that accompanies the header file.
  static std::filesystem::path graph_path(const std::filesystem::path& path);
  static std::unique_ptr<HnswIndex> read(FileReader& reader, const std::filesystem::path& path);

 private:
  const float* stored_vector(Id id) const override;

  struct Impl;
  int dim_;
  HnswParams params_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ensemble::index::detail
