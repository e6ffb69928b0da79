#include "ensemble/recommend/neighbours.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>

#include "ensemble/index/vector_index.h"
#include "ensemble/store/product_model.h"
#include "ensemble/util/error.h"
#include "ensemble/util/parallel.h"

namespace ensemble::recommend {

ProductVectors ProductVectors::load(store::Database& db, const Catalog& catalog) {
  const std::string model = store::current_product_model(db);
  if (model.empty()) return {};
  if (auto cached = db.read_cache().find<store::ProductVectorRows>(store::kProductVectorsEntry,
                                                                   store::product_vectors_key(db, model));
      cached && cached->model == model) {
    return from_rows(std::move(cached), catalog);
  }
  auto rows = std::make_shared<store::ProductVectorRows>();
  rows->model = model;
  {
    auto count = db.prepare(
        "SELECT count(*), max(dim) FROM embeddings WHERE owner_kind = 'product' AND model_id = ?");
    count.bind(1, model);
    count.step();
    rows->ids.reserve(static_cast<size_t>(count.column_int(0)));
    rows->values.reserve(static_cast<size_t>(count.column_int(0)) * static_cast<size_t>(count.column_int(1)));
  }
  // In id order, as the catalog is: from_rows then walks both together.
  auto st = db.prepare(
      "SELECT owner_id, dim, vector FROM embeddings WHERE owner_kind = 'product' AND model_id = ?"
      " ORDER BY owner_id");
  st.bind(1, model);
  while (st.step()) {
    const int dim = static_cast<int>(st.column_int(1));
    if (rows->dim == 0) rows->dim = dim;
    int bytes = 0;
    const void* data = st.column_blob_ptr(2, &bytes);
    if (dim != rows->dim || bytes != dim * static_cast<int>(sizeof(float))) {
      throw Error(ErrorCode::kBadInput, "corrupt or mixed-dimension embedding for product " +
                                            st.column_text(0));
    }
    rows->ids.push_back(st.column_text(0));
    const auto* f = static_cast<const float*>(data);
    rows->values.insert(rows->values.end(), f, f + dim);
  }
  return from_rows(std::move(rows), catalog);
}

ProductVectors ProductVectors::from_rows(std::shared_ptr<const store::ProductVectorRows> rows,
                                         const Catalog& catalog) {
  ProductVectors v;
  v.model_id = rows->model;
  v.dim = rows->dim;
  v.row_of.assign(static_cast<size_t>(catalog.size()), -1);
  // Both are usually in id order: try the catalog product after the last one found first.
  std::int32_t next = 0;
  for (size_t r = 0; r < rows->ids.size(); ++r) {
    const std::string& id = rows->ids[r];
    std::int32_t p = next < catalog.size() && catalog[next].id == id ? next : catalog.find(id);
    if (p < 0) continue;
    v.row_of[static_cast<size_t>(p)] = static_cast<std::int32_t>(r);
    next = p + 1;
  }
  v.rows = std::move(rows);
  return v;
}

std::int64_t ProductVectors::count() const {
  return std::count_if(row_of.begin(), row_of.end(), [](std::int32_t r) { return r >= 0; });
}

NeighbourGraph NeighbourGraph::build(const Catalog& catalog, const ProductVectors& vectors,
                                     const std::vector<char>& anchors, int k, double temperature,
                                     int threads) {
  NeighbourGraph g;
  g.lists_.resize(static_cast<size_t>(catalog.size()));
  if (k <= 0 || vectors.dim == 0) return g;
  // Products grouped by slot: anchors with vectors form the index, everyone with a vector queries.
  std::map<std::string, std::vector<std::int32_t>> anchors_by_slot, queries_by_slot;
  for (std::int32_t p = 0; p < catalog.size(); ++p) {
    if (!vectors.has(p)) continue;
    queries_by_slot[catalog[p].slot].push_back(p);
    if (anchors[static_cast<size_t>(p)]) anchors_by_slot[catalog[p].slot].push_back(p);
  }
  const auto dim = static_cast<size_t>(vectors.dim);
  auto row = [&](std::int32_t p) { return vectors.row(p); };
  // One exact index per slot; the queries of every slot are cut into blocks that the threads take
  // one at a time (a slot's anchors are a few hundred rows: one search call would run its small
  // matrix product on one core, as it did, for 0.3 s of the reference increment).
  struct Task {
    const index::VectorIndex* index;
    const std::vector<std::int32_t>* queries;
    size_t q0, q1;
    int kk;
  };
  std::vector<std::unique_ptr<index::VectorIndex>> indexes;
  std::vector<Task> tasks;
  constexpr size_t kBlock = 1024;  // bounds each task's query copy and score matrix
  for (const auto& [slot, anchor_ids] : anchors_by_slot) {
    const auto& queries = queries_by_slot[slot];
    auto index = index::make_index("exact", vectors.dim);
    index->set_threads(1);
    std::vector<index::Id> ids(anchor_ids.begin(), anchor_ids.end());
    std::vector<float> data(ids.size() * dim);
    for (size_t i = 0; i < ids.size(); ++i) {
      std::memcpy(data.data() + i * dim, row(anchor_ids[i]), dim * sizeof(float));
    }
    index->add(ids, data);
    const int kk = static_cast<int>(std::min<size_t>(static_cast<size_t>(k) + 1, ids.size()));
    for (size_t q0 = 0; q0 < queries.size(); q0 += kBlock) {
      tasks.push_back({index.get(), &queries, q0, std::min(queries.size(), q0 + kBlock), kk});
    }
    indexes.push_back(std::move(index));
  }
  // Each product is a query of one task only: the tasks write disjoint lists.
  parallel_for(static_cast<std::int64_t>(tasks.size()), threads, [&](std::int64_t t) {
    const Task& task = tasks[static_cast<size_t>(t)];
    const auto& queries = *task.queries;
    std::vector<float> qv((task.q1 - task.q0) * dim);
    for (size_t i = task.q0; i < task.q1; ++i) {
      std::memcpy(qv.data() + (i - task.q0) * dim, row(queries[i]), dim * sizeof(float));
    }
    const index::SearchResults res = task.index->search(qv, task.kk);
    for (size_t i = task.q0; i < task.q1; ++i) {
      const auto q = static_cast<std::int64_t>(i - task.q0);
      const std::int32_t self = queries[i];
      std::vector<Neighbour> list;
      for (int j = 0; j < res.count(q); ++j) {
        const auto id = static_cast<std::int32_t>(res.id(q, j));
        if (id == self || static_cast<int>(list.size()) >= k) continue;
        list.push_back({id, 0.0f, res.score(q, j)});
      }
      if (list.empty()) continue;
      const float best = list.front().cosine;
      for (auto& n : list) {
        n.weight = static_cast<float>(std::exp((static_cast<double>(n.cosine) - best) / temperature));
      }
      g.lists_[static_cast<size_t>(self)] = std::move(list);
    }
  });
  return g;
}

void NeighbourGraph::set(std::int32_t product, std::vector<Neighbour> neighbours) {
  if (static_cast<size_t>(product) >= lists_.size()) lists_.resize(static_cast<size_t>(product) + 1);
  lists_[static_cast<size_t>(product)] = std::move(neighbours);
}

const std::vector<Neighbour>& NeighbourGraph::of(std::int32_t product) const {
  static const std::vector<Neighbour> kNone;
  if (product < 0 || static_cast<size_t>(product) >= lists_.size()) return kNone;
  return lists_[static_cast<size_t>(product)];
}

std::int64_t NeighbourGraph::products_with_neighbours() const {
  std::int64_t n = 0;
  for (const auto& l : lists_) n += !l.empty();
  return n;
}

}  // namespace ensemble::recommend
