#include "ensemble/search/product_index.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <cstring>
#include <unordered_map>

#include "ensemble/util/error.h"
#include "ensemble/util/sha256.h"

namespace ensemble::search {

namespace fs = std::filesystem;

fs::path product_index_path(const store::Store& store) {
  const fs::path& db = store.path();
  return db.parent_path() / (db.stem().string() + ".index") / "products.idx";
}

namespace {

struct StoredVector {
  index::Id rowid;
  std::string source;
};

// rowid -> source sha of every product vector of the model, and the content hash over them.
std::unordered_map<index::Id, std::string> current_sources(store::Store& store,
                                                           const std::string& model_id,
                                                           std::string* hash) {
  std::unordered_map<index::Id, std::string> out;
  std::string digest;
  auto st = store.db().prepare(
      "SELECT p.rowid, e.source_sha FROM embeddings e JOIN products p ON p.id = e.owner_id"
      " WHERE e.owner_kind = 'product' AND e.model_id = ? ORDER BY p.rowid");
  st.bind(1, model_id);
  while (st.step()) {
    const index::Id id = st.column_int(0);
    std::string src = st.column_text(1);
    digest += std::to_string(id) + ':' + src + '\n';
    out.emplace(id, std::move(src));
  }
  *hash = sha256_hex(digest + model_id);
  return out;
}

struct IndexRow {
  std::string model_id, backend, path, content_hash;
};

std::optional<IndexRow> index_row(store::Store& store) {
  auto st = store.db().prepare(
      "SELECT model_id, backend, path, content_hash FROM vector_indexes WHERE name = 'products'");
  if (!st.step()) return std::nullopt;
  return IndexRow{st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3)};
}

// Per-vector sources recorded in the index metadata: "rowid:source\n" lines after a header line.
std::unordered_map<index::Id, std::string> sources_of(const std::string& metadata) {
  std::unordered_map<index::Id, std::string> out;
  size_t pos = metadata.find('\n');
  while (pos != std::string::npos && pos + 1 < metadata.size()) {
    const size_t end = metadata.find('\n', pos + 1);
    const std::string line = metadata.substr(pos + 1, end - pos - 1);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) out.emplace(std::stoll(line.substr(0, colon)), line.substr(colon + 1));
    pos = end;
  }
  return out;
}

std::string metadata_of(const std::string& model_id,
                        const std::unordered_map<index::Id, std::string>& sources) {
  std::vector<std::pair<index::Id, std::string>> sorted(sources.begin(), sources.end());
  std::sort(sorted.begin(), sorted.end());
  std::string m = model_id + "\n";
  for (const auto& [id, src] : sorted) m += std::to_string(id) + ':' + src + '\n';
  return m;
}

}  // namespace

std::string product_content_hash(store::Store& store, const std::string& model_id) {
  std::string hash;
  current_sources(store, model_id, &hash);
  return hash;
}

std::unique_ptr<index::VectorIndex> sync_product_index(store::Store& store,
                                                       const config::Config& config,
                                                       const std::string& model_id,
                                                       std::int64_t run_id, IndexSyncReport* report) {
  const auto t0 = std::chrono::steady_clock::now();
  IndexSyncReport rep;
  const std::string spec = index::canonical_index_spec(config.get_string("index.backend"));
  const fs::path path = product_index_path(store);
  std::string hash;
  const auto sources = current_sources(store, model_id, &hash);

  std::unique_ptr<index::VectorIndex> idx;
  const auto row = index_row(store);
  if (row && row->model_id == model_id && row->backend == spec && fs::exists(path)) {
    try {
      idx = index::load_index(path);
    } catch (const Error&) {
      idx.reset();  // corrupt or missing companion file: rebuild below
    }
  }
  if (idx && row->content_hash == hash && idx->size() == static_cast<std::int64_t>(sources.size())) {
    rep.action = "unchanged";
  } else {
    std::unordered_map<index::Id, std::string> have;
    if (idx) {
      have = sources_of(idx->metadata());
      rep.action = "updated";
    } else {
      // The index takes the dimension of the stored vectors (config embed.dim when there are none).
      int dim = static_cast<int>(config.get_int("embed.dim"));
      auto d = store.db().prepare(
          "SELECT dim FROM embeddings WHERE owner_kind = 'product' AND model_id = ? LIMIT 1");
      d.bind(1, model_id);
      if (d.step()) dim = static_cast<int>(d.column_int(0));
      idx = index::make_index(spec, dim);
      rep.action = "built";
    }
    idx->set_threads(static_cast<int>(config.get_int("pipeline.threads")));
    // Remove what is gone or changed, add what is new or changed.
    std::vector<index::Id> gone;
    for (const auto& [id, src] : have) {
      auto it = sources.find(id);
      if (it == sources.end() || it->second != src) gone.push_back(id);
    }
    rep.removed = idx->remove(gone);
    std::vector<index::Id> ids;
    std::vector<float> vecs;
    auto flush = [&] {
      if (ids.empty()) return;
      idx->add(ids, vecs);
      rep.added += static_cast<std::int64_t>(ids.size());
      ids.clear();
      vecs.clear();
    };
    // Rows whose vector the index lacks (new, changed, or missing from the file), in rowid order.
    std::vector<index::Id> wanted;
    for (const auto& [id, src] : sources) {
      auto h = have.find(id);
      if (h == have.end() || h->second != src || !idx->contains(id)) wanted.push_back(id);
    }
    std::sort(wanted.begin(), wanted.end());
    auto take = [&](index::Id id, const store::Statement& st, int dim_col) {
      const int dim = static_cast<int>(st.column_int(dim_col));
      if (dim != idx->dim()) {
        throw Error(ErrorCode::kBadInput, "product vectors have " + std::to_string(dim) +
                                              " dimensions, the index " + std::to_string(idx->dim()) +
                                              ": mixed vector sizes under one model id");
      }
      int bytes = 0;
      const auto* p = static_cast<const float*>(st.column_blob_ptr(dim_col + 1, &bytes));
      ids.push_back(id);
      vecs.insert(vecs.end(), p, p + dim);
      if (ids.size() >= 4096) flush();
    };
    if (wanted.size() * 8 < sources.size()) {
      // A few: look each up (every vector row is 2 KB; a scan would read them all).
      auto st = store.db().prepare(
          "SELECT e.dim, e.vector FROM products p JOIN embeddings e ON e.owner_kind = 'product'"
          " AND e.owner_id = p.id AND e.model_id = ? WHERE p.rowid = ?");
      for (const index::Id id : wanted) {
        st.bind(1, model_id).bind(2, id);
        if (st.step()) take(id, st, 0);
        st.reset();
      }
    } else {
      auto st = store.db().prepare(
          "SELECT p.rowid, e.dim, e.vector FROM embeddings e JOIN products p"
          " ON p.id = e.owner_id WHERE e.owner_kind = 'product' AND e.model_id = ? ORDER BY p.rowid");
      st.bind(1, model_id);
      size_t next = 0;
      while (next < wanted.size() && st.step()) {
        const index::Id id = st.column_int(0);
        while (next < wanted.size() && wanted[next] < id) ++next;
        if (next == wanted.size() || wanted[next] != id) continue;
        ++next;
        take(id, st, 1);
      }
    }
    flush();
    idx->set_metadata(metadata_of(model_id, sources));
    fs::create_directories(path.parent_path());
    idx->save(path);
    store::Transaction tx(store.db());
    store.db()
        .prepare("INSERT INTO vector_indexes (name, model_id, backend, path, vectors, content_hash,"
                 " run_id, built_at) VALUES ('products', ?, ?, ?, ?, ?, ?, ?)"
                 " ON CONFLICT(name) DO UPDATE SET model_id = excluded.model_id,"
                 " backend = excluded.backend, path = excluded.path, vectors = excluded.vectors,"
                 " content_hash = excluded.content_hash, run_id = excluded.run_id,"
                 " built_at = excluded.built_at")
        .bind(1, model_id)
        .bind(2, spec)
        .bind(3, path.filename().string())
        .bind(4, idx->size())
        .bind(5, hash)
        .bind(6, run_id > 0 ? std::optional<std::int64_t>(run_id) : std::nullopt)
        .bind(7, store::utc_now())
        .run();
    tx.commit();
  }
  rep.size = idx->size();
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (report != nullptr) *report = rep;
  return idx;
}

std::unique_ptr<index::VectorIndex> load_product_index(store::Store& store,
                                                       const std::string& model_id) {
  const auto row = index_row(store);
  const fs::path path = product_index_path(store);
  if (!row || !fs::exists(path)) {
    throw Error(ErrorCode::kNotFound,
                "no product index yet: run the pipeline (`ensemble run`) to embed and index the catalog");
  }
  if (row->model_id != model_id) {
    throw Error(ErrorCode::kConflict, "the product index was built with embedder '" + row->model_id +
                                          "', queries use '" + model_id +
                                          "': run `ensemble run` to re-embed and re-index");
  }
  if (row->content_hash != product_content_hash(store, model_id)) {
    throw Error(ErrorCode::kConflict,
                "the product index is stale (the catalog's vectors changed since it was built): "
                "run `ensemble run` to update it");
  }
  return index::load_index(path);
}

}  // namespace ensemble::search
