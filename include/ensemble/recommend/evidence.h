// What the recommender reads from the store: the catalog (ids, categories, slots, attributes) and
// the lookbook evidence (regions with their outfit contexts and boxes, and the match lists in both
// directions). Products and lookbooks get dense int32 indices; everything downstream works on them.
//
// Both are plain values, built once (load() or add()), then read-only: const use is thread-safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ensemble/recommend/slots.h"
#include "ensemble/store/database.h"

namespace ensemble::recommend {

struct Product {
  std::string id;
  std::string category;  // lower case
  std::string slot;      // from the SlotTable
  std::map<std::string, std::string> attributes;  // the catalog's extra columns, as text
  double price = NAN;    // attribute "price" when it parses as a number

  // The attribute's value, or "" when the product has none.
  const std::string& attribute(const std::string& key) const;
};

class Catalog {
 public:
  // Every product, ordered by id. Attributes come from products.attributes (a JSON object; values
  // that are not strings are stored as their JSON text).
  static Catalog load(store::Database& db, const SlotTable& slots);

  // Appends a product (tests, evaluation) and returns its index. The slot is set from `slots` when
  // empty. Throws Error(kInvalidArgument) for a duplicate id.
  std::int32_t add(Product product, const SlotTable& slots = SlotTable());

  std::int32_t size() const { return static_cast<std::int32_t>(products_.size()); }
  const Product& operator[](std::int32_t i) const { return products_[static_cast<size_t>(i)]; }
  // Index of an id, or -1.
  std::int32_t find(const std::string& id) const;

 private:
  std::vector<Product> products_;
  std::unordered_map<std::string, std::int32_t> index_;
};

struct Region {
  std::int64_t id = 0;          // regions.id
  std::int32_t lookbook = 0;    // index into MatchEvidence::lookbooks
  std::int32_t context = 0;     // outfit context within the lookbook
  int x = 0, y = 0, w = 0, h = 0;  // bounding box, pixels
};

struct Candidate {
  std::int32_t product = 0;  // catalog index
  float score = 0;           // cosine similarity
};

class MatchEvidence {
 public:
  // Regions (ordered by lookbook id, then region id) and their matches. Matches naming unknown
  // products or regions are skipped. with_mutual: also read which regions are among each
  // product's best (the product_to_region rows, half the table); without, has_mutual() is false.
  static MatchEvidence load(store::Database& db, const Catalog& catalog, bool with_mutual = true);

  // Building by hand (tests, evaluation). Returns the region's index.
  std::int32_t add_lookbook(const std::string& id);
  std::int32_t add_region(const Region& region, std::vector<Candidate> candidates);
  // Records that `region` is among the best regions of `product` (direction product_to_region).
  void add_mutual(std::int32_t product, std::int32_t region);

  std::vector<std::string> lookbooks;               // dense index -> lookbook id
  std::vector<Region> regions;                      // grouped by lookbook
  std::vector<std::vector<Candidate>> candidates;   // per region, by rank (best first)

  bool mutual(std::int32_t product, std::int32_t region) const {
    return mutual_.count(key(product, region)) > 0;
  }
  bool has_mutual() const { return !mutual_.empty(); }

 private:
  static std::uint64_t key(std::int32_t p, std::int32_t r) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(p)) << 32) |
           static_cast<std::uint32_t>(r);
  }
  std::unordered_set<std::uint64_t> mutual_;
  std::unordered_map<std::string, std::int32_t> lookbook_index_;
};

// A short digest of what the cooccur stage reads (products, regions, matches), for incremental
// runs: equal digests mean equal inputs.
std::string evidence_digest(store::Database& db);

}  // namespace ensemble::recommend
