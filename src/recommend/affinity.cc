#include "ensemble/recommend/affinity.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace ensemble::recommend {

AttributeAffinity AttributeAffinity::learn(const Catalog& catalog, const PairTable& pairs,
                                           const std::vector<std::string>& keys) {
  AttributeAffinity a;
  for (const auto& key : keys) {
    // Ordered cells: a pair (u, v) adds w to (u, v) and to (v, u) (twice to (u, u)), so the table
    // is symmetric and its total is twice the pair weight.
    std::map<std::string, int> codes;
    for (const auto& p : pairs.pairs) {
      for (const auto* s : {&catalog[p.a].attribute(key), &catalog[p.b].attribute(key)}) {
        if (!s->empty()) codes.try_emplace(*s, 0);
      }
    }
    Table t;
    t.key = key;
    int next = 0;
    for (auto& [v, c] : codes) {
      c = next++;
      t.values[v] = c;
    }
    const auto n = static_cast<size_t>(next);
    std::vector<double> joint(n * n, 0.0), marginal(n, 0.0);
    double total = 0;
    for (const auto& p : pairs.pairs) {
      const std::string& u = catalog[p.a].attribute(key);
      const std::string& v = catalog[p.b].attribute(key);
      if (u.empty() || v.empty() || !(p.weight > 0)) continue;
      const auto i = static_cast<size_t>(t.values[u]), j = static_cast<size_t>(t.values[v]);
      joint[i * n + j] += p.weight;
      joint[j * n + i] += p.weight;
      marginal[i] += p.weight;
      marginal[j] += p.weight;
      total += 2.0 * p.weight;
    }
    t.affinity.assign(n * n, 0.0);
    for (size_t i = 0; i < n && total > 0; ++i) {
      for (size_t j = 0; j < n; ++j) {
        const double cell = joint[i * n + j];
        if (cell <= 0) continue;
        const double pr = cell / total;
        double npmi = pr >= 1.0 ? 1.0
                                : std::log(cell * total / (marginal[i] * marginal[j])) / -std::log(pr);
        npmi = std::clamp(npmi, -1.0, 1.0);
        const double c = i == j ? cell / 2 : cell;  // the pair weight behind the cell
        t.affinity[i * n + j] = std::max(0.0, npmi) * c / (c + 1.0);
      }
    }
    a.tables_.push_back(std::move(t));
  }
  return a;
}

std::vector<int> AttributeAffinity::codes(const Product& p) const {
  std::vector<int> out;
  out.reserve(tables_.size());
  for (const auto& t : tables_) {
    const std::string& v = p.attribute(t.key);
    if (v.empty()) {
      out.push_back(kMissing);
      continue;
    }
    const auto it = t.values.find(v);
    out.push_back(it == t.values.end() ? kUnseen : it->second);
  }
  return out;
}

double AttributeAffinity::score_codes(const int* a, const int* b) const {
  double sum = 0;
  int n = 0;
  for (size_t k = 0; k < tables_.size(); ++k) {
    if (a[k] == kMissing || b[k] == kMissing) continue;
    ++n;
    if (a[k] < 0 || b[k] < 0) continue;
    const size_t m = tables_[k].values.size();
    sum += tables_[k].affinity[static_cast<size_t>(a[k]) * m + static_cast<size_t>(b[k])];
  }
  return n == 0 ? 0 : sum / n;
}

double AttributeAffinity::score(const Product& a, const Product& b) const {
  const auto ca = codes(a), cb = codes(b);
  return score_codes(ca.data(), cb.data());
}

double AttributeAffinity::value_affinity(const std::string& key, const std::string& u,
                                         const std::string& v) const {
  for (const auto& t : tables_) {
    if (t.key != key) continue;
    const auto iu = t.values.find(u), iv = t.values.find(v);
    if (iu == t.values.end() || iv == t.values.end()) return 0;
    return t.affinity[static_cast<size_t>(iu->second) * t.values.size() + static_cast<size_t>(iv->second)];
  }
  return 0;
}

}  // namespace ensemble::recommend
