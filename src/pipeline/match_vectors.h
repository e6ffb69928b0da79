// The match stage's inputs (private to the pipeline module): the product and region vector sets
// of one model, the products' categories, and the fingerprints of both that stage_items records.
// Not thread-safe while being loaded; a loaded VectorSet / Categories is read-only and may be read
// from many threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ensemble/index/vector_index.h"
#include "ensemble/store/database.h"

namespace ensemble::pipeline::match {

// The vectors of one kind under one model. list_vectors() reads the ids and sources only (small
// columns: what the skip check and the incremental decision need); load_rows() then reads the
// vectors a pass needs (every row, or in an incremental pass often only the new ones).
// A "position" (index::Id) is an index into `ids`.
struct VectorSet {
  std::vector<std::string> ids;      // id order
  std::vector<std::string> sources;  // source_sha per id
  std::vector<std::int64_t> numbers;  // regions only: ids[i] as a number (regions.id)
  int dim = 0;
  std::vector<float> values;         // the loaded rows, dim floats each
  std::vector<std::int32_t> slot;    // position -> row of `values` (-1: not loaded); empty: all, in order

  size_t size() const { return ids.size(); }
  bool all_loaded() const { return slot.empty() && values.size() == ids.size() * static_cast<size_t>(dim); }
  // REQUIRES: row `pos` loaded.
  const float* row(index::Id pos) const {
    const auto r = slot.empty() ? static_cast<size_t>(pos) : static_cast<size_t>(slot[static_cast<size_t>(pos)]);
    return values.data() + r * static_cast<size_t>(dim);
  }
};

// Positions 0..n-1.
std::vector<index::Id> all_rows(size_t n);

// Ids, sources and the dimension of every vector of `kind` ("product" / "region") for `model`,
// ordered by owner id; no vectors loaded. Throws Error (kBadInput) on mixed dimensions or a
// non-numeric region id.
VectorSet list_vectors(store::Database& db, const std::string& kind, const std::string& model);

// Loads the vectors of rows `rows` (positions, ascending) of `v` (replacing any loaded before).
// Throws Error: kBadInput for a vector of the wrong size, kConflict when the rows no longer match
// what list_vectors() saw.
void load_rows(store::Database& db, const std::string& kind, const std::string& model, VectorSet& v,
               const std::vector<index::Id>& rows);

// Whether every vector of `model` belongs to a product or region that exists (an index lookup per
// vector, ~20 ms at reference scale). When it does, every row the stage writes references rows
// that exist (its own run too), and the writes may skip SQLite's per-row foreign-key checks.
bool owners_exist(store::Database& db, const std::string& model);

// Rows `rows` of a vector set, in the given order: rows.size() × v.dim floats.
// REQUIRES: those rows loaded.
std::vector<float> gather(const VectorSet& v, const std::vector<index::Id>& rows);

// Hash of "id:source" lines of the given rows, in id order (as list_vectors and the stored item
// rows give them).
std::string items_hash(const VectorSet& v, const std::vector<index::Id>& rows);

// The products' categories (the vote depends on them) as numbers: names are sorted, so walking the
// numbers in order walks the names in order. A product without a catalog row has category "".
struct Categories {
  std::vector<std::string> names;  // sorted, distinct, names[0] == ""
  std::vector<std::int32_t> of;    // per product position
  const std::string& name(index::Id product) const { return names[static_cast<size_t>(of[static_cast<size_t>(product)])]; }
};

// The categories of `products`; `product_at`: product id -> position in `products`.
Categories load_categories(store::Database& db, const VectorSet& products,
                           const std::unordered_map<std::string_view, index::Id>& product_at);

// Hash of the categories of the given products.
std::string categories_hash(const VectorSet& products, const Categories& cats,
                            const std::vector<index::Id>& rows);

}  // namespace ensemble::pipeline::match
