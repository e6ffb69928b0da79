#include "index/hnsw_index.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <unordered_map>

#include "ensemble/util/error.h"
#include "ensemble/util/fs.h"
#include "ensemble/util/parallel.h"
#include "index/top_k.h"

namespace ensemble::index::detail {
namespace {

constexpr std::size_t kInitialCapacity = 1024;

Error bad_spec(std::string_view spec, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, "index spec '" + std::string(spec) + "': " + why +
                                                " (expected hnsw:M=<2..256>,efC=<M..4096>,ef=<1..65536>)");
}

std::uint64_t checksum_file(const std::filesystem::path& path, std::uint64_t* size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kBadInput, "vector index graph " + path.string() + " is missing");
  std::vector<char> buf(1 << 22);
  std::uint64_t h = 0, total = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    std::streamsize got = in.gcount();
    if (got <= 0) break;
    h = checksum64(buf.data(), static_cast<std::size_t>(got), h);
    total += static_cast<std::uint64_t>(got);
  }
  *size = total;
  return h;
}

}  // namespace

HnswParams parse_hnsw_spec(std::string_view spec) {
  HnswParams p;
  if (spec == "hnsw") return p;
  if (!spec.starts_with("hnsw:")) throw bad_spec(spec, "not an hnsw spec");
  std::string_view rest = spec.substr(5);
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) throw bad_spec(spec, "'" + std::string(item) + "' is not KEY=VALUE");
    std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    int v = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || ptr != value.data() + value.size()) throw bad_spec(spec, "'" + std::string(value) + "' is not an integer");
    if (key == "M") p.M = v;
    else if (key == "efC") p.ef_construction = v;
    else if (key == "ef") p.ef_search = v;
    else throw bad_spec(spec, "unknown key '" + std::string(key) + "'");
  }
  if (p.M < 2 || p.M > 256) throw bad_spec(spec, "M out of range");
  if (p.ef_construction < p.M || p.ef_construction > 4096) throw bad_spec(spec, "efC out of range");
  if (p.ef_search < 1 || p.ef_search > 65536) throw bad_spec(spec, "ef out of range");
  return p;
}

std::string hnsw_spec(const HnswParams& p) {
  return "hnsw:M=" + std::to_string(p.M) + ",efC=" + std::to_string(p.ef_construction) + ",ef=" +
         std::to_string(p.ef_search);
}

struct HnswIndex::Impl {
  explicit Impl(int dim) : space(dim) {}
  hnswlib::InnerProductSpace space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph;
};

HnswIndex::HnswIndex(int dim, HnswParams params) : dim_(dim), params_(params), impl_(std::make_unique<Impl>(dim)) {
  impl_->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(&impl_->space, kInitialCapacity, params_.M,
                                                                   params_.ef_construction);
  impl_->graph->setEf(params_.ef_search);
}

HnswIndex::~HnswIndex() = default;

std::int64_t HnswIndex::size() const {
  return static_cast<std::int64_t>(impl_->graph->cur_element_count - impl_->graph->num_deleted_);
}

bool HnswIndex::contains(Id id) const { return stored_vector(id) != nullptr; }

const float* HnswIndex::stored_vector(Id id) const {
  const auto& g = *impl_->graph;
  const auto it = g.label_lookup_.find(static_cast<hnswlib::labeltype>(id));
  if (it == g.label_lookup_.end() || g.isMarkedDeleted(it->second)) return nullptr;
  return reinterpret_cast<const float*>(g.getDataByInternalId(it->second));
}

std::vector<Id> HnswIndex::ids() const {
  const auto& g = *impl_->graph;
  std::vector<Id> out;
  out.reserve(size());
  for (const auto& [label, internal] : g.label_lookup_)
    if (!g.isMarkedDeleted(internal)) out.push_back(static_cast<Id>(label));
  return out;
}

void HnswIndex::add(std::span<const Id> ids, std::span<const float> vectors) {
  if (vectors.size() != ids.size() * static_cast<std::size_t>(dim_)) {
    throw Error(ErrorCode::kInvalidArgument, "index add: " + std::to_string(vectors.size()) + " floats for " +
                                                 std::to_string(ids.size()) + " ids of dimension " +
                                                 std::to_string(dim_));
  }
  // Last occurrence wins within the batch, and no two threads ever touch the same label.
  std::unordered_map<Id, std::size_t> last;
  last.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) last[ids[i]] = i;
  std::vector<std::size_t> rows;
  rows.reserve(last.size());
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (last[ids[i]] == i) rows.push_back(i);
  auto& g = *impl_->graph;
  std::size_t needed = g.cur_element_count + rows.size();
  if (needed > g.max_elements_) g.resizeIndex(std::max(needed, g.max_elements_ * 2));
  // The first point goes in alone: hnswlib's entry point must exist before parallel inserts.
  std::size_t start = 0;
  if (g.cur_element_count == 0 && !rows.empty()) {
    g.addPoint(vectors.data() + rows[0] * dim_, static_cast<hnswlib::labeltype>(ids[rows[0]]));
    start = 1;
  }
  parallel_for(static_cast<std::int64_t>(rows.size() - start), threads_, [&](std::int64_t i) {
    std::size_t r = rows[start + i];
    g.addPoint(vectors.data() + r * dim_, static_cast<hnswlib::labeltype>(ids[r]));
  });
}

std::int64_t HnswIndex::remove(std::span<const Id> ids) {
  std::int64_t removed = 0;
  for (Id id : ids) {
    if (!contains(id)) continue;
    impl_->graph->markDelete(static_cast<hnswlib::labeltype>(id));
    ++removed;
  }
  return removed;
}

SearchResults HnswIndex::search(std::span<const float> queries, int k, const IdFilter* filter) const {
  SearchResults out = start_search(queries, k, dim_);
  const auto& g = *impl_->graph;
  const std::int64_t live = size();
  auto one = [&](std::int64_t q) {
    const float* query = queries.data() + q * dim_;
    TopK top(k);
    if (live > 0) {
      // Without a filter one graph search suffices. With one, ask for more candidates until k
      // pass; a filter that rejects nearly everything ends in an exact scan of the stored vectors.
      std::size_t want = filter ? static_cast<std::size_t>(k) * 4 : static_cast<std::size_t>(k);
      for (;;) {
        if (filter && want * 4 > static_cast<std::size_t>(live)) {
          top.clear();
          for (hnswlib::tableint i = 0; i < g.cur_element_count; ++i) {
            if (g.isMarkedDeleted(i)) continue;
            Id id = static_cast<Id>(g.getExternalLabel(i));
            if (!(*filter)(id)) continue;
            const float* v = reinterpret_cast<const float*>(g.getDataByInternalId(i));
            float s = 0;
            for (int d = 0; d < dim_; ++d) s += query[d] * v[d];
            top.push(s, id);
          }
          break;
        }
        auto result = g.searchKnn(query, std::min<std::size_t>(want, static_cast<std::size_t>(live)));
        int passed = 0;
        top.clear();
        while (!result.empty()) {
          auto [dist, label] = result.top();
          result.pop();
          Id id = static_cast<Id>(label);
          if (filter && !(*filter)(id)) continue;
          top.push(1.0f - dist, id);
          ++passed;
        }
        if (!filter || passed >= k || want >= static_cast<std::size_t>(live)) break;
        want *= 4;
      }
    }
    top.emit(out.ids.data() + q * k, out.scores.data() + q * k);
  };
  parallel_for(out.n, out.n >= 8 ? threads_ : 1, one);
  return out;
}

double HnswIndex::bytes_per_vector() const {
  const auto& g = *impl_->graph;
  // Level 0 (links + vector + label) for every element, upper levels for ~1/M of them, the
  // label map and the per-element lock.
  double upper = static_cast<double>(g.size_links_per_element_) / (params_.M > 1 ? std::log(params_.M) : 1.0);
  return static_cast<double>(g.size_data_per_element_) + upper + 2.5 * sizeof(Id) + sizeof(std::mutex) + sizeof(int);
}

std::filesystem::path HnswIndex::graph_path(const std::filesystem::path& path) {
  std::filesystem::path p = path;
  p += ".hnsw";
  return p;
}

void HnswIndex::save(const std::filesystem::path& path) const {
  // The graph first (temporary name, then rename), then the header that vouches for it.
  const auto graph = graph_path(path);
  std::filesystem::path tmp = graph;
  tmp += ".tmp" + std::to_string(std::random_device{}());
  impl_->graph->saveIndex(tmp.string());
  std::uint64_t bytes = 0, sum = 0;
  try {
    sum = checksum_file(tmp, &bytes);
    std::error_code ec;
    std::filesystem::rename(tmp, graph, ec);
    if (ec) throw Error(ErrorCode::kIo, "cannot write " + graph.string() + ": " + ec.message());
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw;
  }
  if (bytes == 0) throw Error(ErrorCode::kIo, "cannot write " + graph.string());
  FileWriter w({IndexKind::kHnsw, static_cast<std::uint32_t>(dim_), size(), spec(), metadata_});
  w.put<std::uint64_t>(bytes);
  w.put<std::uint64_t>(sum);
  w.commit(path);
}

void HnswIndex::set_search_params(std::string_view spec) {
  std::string canonical = canonical_index_spec(spec);
  if (!canonical.starts_with("hnsw:")) {
    throw Error(ErrorCode::kInvalidArgument, "an hnsw index cannot take the parameters of '" + std::string(spec) + "'");
  }
  HnswParams asked = parse_hnsw_spec(canonical);
  if (asked.M != params_.M || asked.ef_construction != params_.ef_construction) {
    throw Error(ErrorCode::kInvalidArgument, "this index was built as '" + hnsw_spec(params_) + "'; '" + canonical +
                                                 "' needs a rebuild (only ef can change without one)");
  }
  params_.ef_search = asked.ef_search;
  impl_->graph->setEf(params_.ef_search);
}

std::unique_ptr<HnswIndex> HnswIndex::read(FileReader& r, const std::filesystem::path& path) {
  const auto& h = r.header();
  HnswParams params = parse_hnsw_spec(h.spec);
  auto bytes = r.get<std::uint64_t>();
  auto sum = r.get<std::uint64_t>();
  if (r.remaining() != 0) r.fail("unexpected bytes after the header");
  const auto graph = graph_path(path);
  std::uint64_t actual_bytes = 0;
  std::uint64_t actual_sum = checksum_file(graph, &actual_bytes);
  if (actual_bytes != bytes || actual_sum != sum) {
    r.fail("its graph " + graph.string() + " does not match (truncated, corrupt or from another save); rebuild the index");
  }
  auto index = std::make_unique<HnswIndex>(static_cast<int>(h.dim), params);
  try {
    // hnswlib 0.6.2's loading constructor leaves num_deleted_ uninitialised before counting
    // deleted elements into it: construct empty, zero the counters, then load.
    auto g = std::make_unique<hnswlib::HierarchicalNSW<float>>(&index->impl_->space);
    g->num_deleted_ = 0;
    g->metric_distance_computations = 0;
    g->metric_hops = 0;
    g->loadIndex(graph.string(), &index->impl_->space, static_cast<std::size_t>(h.count) + kInitialCapacity);
    index->impl_->graph = std::move(g);
  } catch (const std::exception& e) {
    r.fail(std::string("hnswlib cannot load the graph: ") + e.what());
  }
  auto& g = *index->impl_->graph;
  g.setEf(params.ef_search);
  if (g.size_data_per_element_ < h.dim * sizeof(float) || g.data_size_ != h.dim * sizeof(float) ||
      index->size() != h.count || g.M_ != static_cast<std::size_t>(params.M)) {
    r.fail("the graph holds " + std::to_string(index->size()) + " vectors, the header says " + std::to_string(h.count));
  }
  index->metadata_ = h.metadata;
  return index;
}

}  // namespace ensemble::index::detail
