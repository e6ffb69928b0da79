// Reading the match stage's vector sets and categories, and their fingerprints (match_vectors.h).
#include "pipeline/match_vectors.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "ensemble/util/error.h"
#include "ensemble/util/sha256.h"

namespace ensemble::pipeline::match {

std::vector<index::Id> all_rows(size_t n) {
  std::vector<index::Id> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<index::Id>(i);
  return v;
}

VectorSet list_vectors(store::Database& db, const std::string& kind, const std::string& model) {
  VectorSet v;
  auto st = db.prepare(
      "SELECT owner_id, source_sha, dim FROM embeddings WHERE owner_kind = ? AND model_id = ?"
      " ORDER BY owner_id");
  st.bind(1, kind).bind(2, model);
  while (st.step()) {
    const int dim = static_cast<int>(st.column_int(2));
    if (v.dim == 0) v.dim = dim;
    if (dim != v.dim) throw Error(ErrorCode::kBadInput, "embeddings of mixed dimensions for " + model);
    v.ids.push_back(st.column_text(0));
    v.sources.push_back(st.column_text(1));
  }
  if (kind == "region") {
    v.numbers.reserve(v.ids.size());
    for (const auto& id : v.ids) {
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
      if (ec != std::errc() || end != id.data() + id.size()) {
        throw Error(ErrorCode::kBadInput, "region embedding with a non-numeric owner id: " + id);
      }
      v.numbers.push_back(n);
    }
  }
  return v;
}

// A few rows are looked up one by one; many are read in one ordered pass over the kind's rows.
void load_rows(store::Database& db, const std::string& kind, const std::string& model, VectorSet& v,
               const std::vector<index::Id>& rows) {
  const size_t dim = static_cast<size_t>(v.dim);
  v.values.assign(rows.size() * dim, 0.0f);
  v.slot.clear();
  if (rows.size() != v.size()) {
    v.slot.assign(v.size(), -1);
    for (size_t i = 0; i < rows.size(); ++i) v.slot[static_cast<size_t>(rows[i])] = static_cast<std::int32_t>(i);
  }
  // The source is read again with the vector: the pair must be the one list_vectors() saw.
  auto take = [&](const store::Statement& st, size_t i, size_t pos) {
    int bytes = 0;
    const void* p = st.column_blob_ptr(0, &bytes);
    if (bytes != static_cast<int>(dim * sizeof(float))) {
      throw Error(ErrorCode::kBadInput, "corrupt embedding for " + kind + " " + v.ids[pos]);
    }
    if (st.column_text(1) != v.sources[pos]) {
      throw Error(ErrorCode::kConflict, "embeddings changed while the match stage read them");
    }
    std::memcpy(v.values.data() + i * dim, p, dim * sizeof(float));
  };
  if (rows.size() * 4 < v.size()) {
    auto st = db.prepare(
        "SELECT vector, source_sha FROM embeddings WHERE owner_kind = ? AND owner_id = ? AND model_id = ?");
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto pos = static_cast<size_t>(rows[i]);
      st.bind(1, kind).bind(2, v.ids[pos]).bind(3, model);
      if (!st.step()) throw Error(ErrorCode::kConflict, "embeddings changed while the match stage read them");
      take(st, i, pos);
      st.reset();
    }
    return;
  }
  auto st = db.prepare(
      "SELECT vector, source_sha, owner_id FROM embeddings WHERE owner_kind = ? AND model_id = ?"
      " ORDER BY owner_id");
  st.bind(1, kind).bind(2, model);
  size_t pos = 0, i = 0;
  for (; st.step() && i < rows.size(); ++pos) {
    if (pos >= v.size() || st.column_text(2) != v.ids[pos]) {
      throw Error(ErrorCode::kConflict, "embeddings changed while the match stage read them");
    }
    if (static_cast<size_t>(rows[i]) == pos) take(st, i++, pos);
  }
  if (i != rows.size()) throw Error(ErrorCode::kConflict, "embeddings changed while the match stage read them");
}

bool owners_exist(store::Database& db, const std::string& model) {
  auto st = db.prepare(
      "SELECT (SELECT count(*) FROM embeddings e WHERE e.owner_kind = 'region' AND e.model_id = ?1"
      "        AND NOT EXISTS (SELECT 1 FROM regions r WHERE r.id = CAST(e.owner_id AS INTEGER)"
      "                        AND CAST(r.id AS TEXT) = e.owner_id)) +"
      "       (SELECT count(*) FROM embeddings e WHERE e.owner_kind = 'product' AND e.model_id = ?1"
      "        AND NOT EXISTS (SELECT 1 FROM products p WHERE p.id = e.owner_id))");
  st.bind(1, model);
  st.step();
  return st.column_int(0) == 0;
}

std::vector<float> gather(const VectorSet& v, const std::vector<index::Id>& rows) {
  std::vector<float> out(rows.size() * static_cast<size_t>(v.dim));
  for (size_t i = 0; i < rows.size(); ++i) {
    std::memcpy(out.data() + i * static_cast<size_t>(v.dim), v.row(rows[i]),
                static_cast<size_t>(v.dim) * sizeof(float));
  }
  return out;
}

std::string items_hash(const VectorSet& v, const std::vector<index::Id>& rows) {
  std::string digest_input;
  for (const index::Id i : rows) {
    digest_input += v.ids[static_cast<size_t>(i)];
    digest_input += ':';
    digest_input += v.sources[static_cast<size_t>(i)];
    digest_input += '\n';
  }
  return sha256_hex(digest_input);
}

Categories load_categories(store::Database& db, const VectorSet& products,
                           const std::unordered_map<std::string_view, index::Id>& product_at) {
  std::vector<std::string> by_pos(products.size());
  auto st = db.prepare("SELECT id, category FROM products");
  while (st.step()) {
    const auto it = product_at.find(st.column_text(0));
    if (it != product_at.end()) by_pos[static_cast<size_t>(it->second)] = st.column_text(1);
  }
  Categories c;
  c.names = by_pos;
  c.names.emplace_back();
  std::sort(c.names.begin(), c.names.end());
  c.names.erase(std::unique(c.names.begin(), c.names.end()), c.names.end());
  c.of.reserve(by_pos.size());
  for (const auto& name : by_pos) {
    c.of.push_back(static_cast<std::int32_t>(std::lower_bound(c.names.begin(), c.names.end(), name) - c.names.begin()));
  }
  return c;
}

std::string categories_hash(const VectorSet& products, const Categories& cats,
                            const std::vector<index::Id>& rows) {
  std::string digest_input;
  for (const index::Id i : rows) {
    digest_input += products.ids[static_cast<size_t>(i)];
    digest_input += '\t';
    digest_input += cats.name(i);
    digest_input += '\n';
  }
  return sha256_hex(digest_input);
}

}  // namespace ensemble::pipeline::match
