// Attribute affinity: which attribute values go together (style with style, colours of one
// palette, patterns), learnt from the pairs themselves: for each configured attribute, the NPMI of
// value pairs over the confidence-weighted pair distribution, shrunk by support. It lets two
// products that never met in a lookbook, nor through their neighbours, still be compared — the
// cold-start backoff of compat(). Nothing about the values is hand-coded.
//
// A value; const use is thread-safe.
#pragma once

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ensemble/recommend/cooccurrence.h"
#include "ensemble/recommend/evidence.h"

namespace ensemble::recommend {

class AttributeAffinity {
 public:
  AttributeAffinity() = default;
  // Learns from the pairs' weights. keys: attribute names (products lacking one are skipped).
  static AttributeAffinity learn(const Catalog& catalog, const PairTable& pairs,
                                 const std::vector<std::string>& keys);

  // Mean, over the keys both products have, of the value pair's affinity
  // max(0, NPMI(u, v)) * c / (c + 1), c = the weighted count of the value pair (0 for a value never
  // seen in a pair). 0 when no key applies. In [0, 1].
  double score(const Product& a, const Product& b) const;
  // One attribute's learnt affinity of two values.
  double value_affinity(const std::string& key, const std::string& u, const std::string& v) const;

  // Fast path for scoring many pairs: a product's value codes, one per key (kMissing when it lacks
  // the attribute, kUnseen when its value never occurred in a pair).
  static constexpr int kMissing = -1;
  static constexpr int kUnseen = -2;
  std::vector<int> codes(const Product& p) const;
  // score() over codes(a) and codes(b) (each keys() long).
  double score_codes(const int* a, const int* b) const;
  size_t keys() const { return tables_.size(); }

 private:
  struct Table {
    std::string key;
    std::unordered_map<std::string, int> values;  // value -> code
    std::vector<double> affinity;                 // codes × codes
  };
  std::vector<Table> tables_;
};

}  // namespace ensemble::recommend
