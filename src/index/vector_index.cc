#include "ensemble/index/vector_index.h"

#include <limits>

#include "ensemble/util/error.h"
#include "index/dot_kernel.h"
#include "index/exact_index.h"
#include "index/hnsw_index.h"
#include "index/index_file.h"

namespace ensemble::index {

int SearchResults::count(std::int64_t q) const {
  int c = 0;
  while (c < k && ids[q * k + c] != -1) ++c;
  return c;
}

std::vector<float> VectorIndex::score_ids(std::span<const float> query, std::span<const Id> ids) const {
  if (query.size() != static_cast<std::size_t>(dim())) {
    throw Error(ErrorCode::kInvalidArgument, "score_ids: a query of " + std::to_string(query.size()) +
                                                 " floats for dimension " + std::to_string(dim()));
  }
  std::vector<float> out(ids.size(), std::numeric_limits<float>::quiet_NaN());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (const float* row = stored_vector(ids[i])) detail::dot_rows(row, 1, dim(), query.data(), 1, &out[i], 1);
  }
  return out;
}

std::string canonical_index_spec(std::string_view spec) {
  if (spec == "exact") return "exact";
  if (spec == "hnsw" || spec.starts_with("hnsw:")) return detail::hnsw_spec(detail::parse_hnsw_spec(spec));
  throw Error(ErrorCode::kInvalidArgument, "unknown index spec '" + std::string(spec) +
                                               "': expected 'exact' or 'hnsw[:M=32,efC=200,ef=64]'");
}

std::unique_ptr<VectorIndex> make_index(std::string_view spec, int dim) {
  if (dim < 1 || dim > 65536) {
    throw Error(ErrorCode::kInvalidArgument, "index dimension must be in 1..65536, got " + std::to_string(dim));
  }
  std::string canonical = canonical_index_spec(spec);
  if (canonical == "exact") return std::make_unique<detail::ExactIndex>(dim);
  return std::make_unique<detail::HnswIndex>(dim, detail::parse_hnsw_spec(canonical));
}

std::unique_ptr<VectorIndex> load_index(const std::filesystem::path& path, std::string_view search_spec) {
  detail::FileReader reader(path);
  std::unique_ptr<VectorIndex> index;
  if (reader.header().kind == detail::IndexKind::kExact) {
    index = detail::ExactIndex::read(reader);
  } else {
    index = detail::HnswIndex::read(reader, path);
  }
  if (!search_spec.empty()) {
    try {
      index->set_search_params(search_spec);
    } catch (const Error& e) {
      throw Error(e.code(), path.string() + ": " + e.what());
    }
  }
  return index;
}

}  // namespace ensemble::index
