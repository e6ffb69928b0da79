#include "ensemble/recommend/slot_learner.h"

#include <algorithm>

#include "ensemble/recommend/slots.h"

namespace ensemble::recommend {

SlotModel SlotModel::rules() {
  // Typical outfit structure: what a stylist would plan when the data says too little.
  static const std::map<std::string, std::vector<SlotCompletion>> kRules = {
      {"top", {{"bottom", 0.95}, {"shoes", 0.9}, {"bag", 0.4}, {"outerwear", 0.3}, {"accessory", 0.4}}},
      {"bottom", {{"top", 0.95}, {"shoes", 0.9}, {"bag", 0.4}, {"outerwear", 0.3}, {"accessory", 0.4}}},
      {"dress", {{"shoes", 0.9}, {"bag", 0.6}, {"outerwear", 0.3}, {"accessory", 0.4}}},
      {"outerwear", {{"shoes", 0.9}, {"top", 0.7}, {"bottom", 0.7}, {"bag", 0.4}, {"dress", 0.3}}},
      {"shoes", {{"top", 0.65}, {"bottom", 0.65}, {"dress", 0.35}, {"bag", 0.4}}},
      {"bag", {{"shoes", 0.9}, {"top", 0.6}, {"bottom", 0.6}, {"dress", 0.4}}},
      {"accessory", {{"shoes", 0.9}, {"top", 0.6}, {"bottom", 0.6}, {"dress", 0.4}}},
  };
  SlotModel m;
  for (const auto& [seed, comps] : kRules) m.seeds_[seed] = Seed{comps, "rules", 0};
  m.sort_completions();
  return m;
}

SlotModel SlotModel::learn(const std::vector<std::map<std::string, double>>& contexts,
                           double min_support) {
  std::map<std::string, double> support;
  std::map<std::string, std::map<std::string, double>> joint;
  for (const auto& ctx : contexts) {
    if (ctx.size() < 2) continue;
    for (const auto& [a, pa] : ctx) {
      support[a] += pa;
      for (const auto& [b, pb] : ctx) {
        if (a != b) joint[a][b] += pa * pb;
      }
    }
  }
  SlotModel m = rules();
  for (const auto& [a, s] : support) {
    const bool thin = s < min_support;
    if (thin && m.seeds_.count(a) > 0) {
      m.seeds_[a].support = s;  // rules, but remember how much data there was
      continue;
    }
    Seed seed;
    seed.source = "learned";
    seed.support = s;
    for (const auto& [b, j] : joint[a]) {
      if (s > 0) seed.completions.push_back({b, std::min(1.0, j / s)});
    }
    m.seeds_[a] = std::move(seed);
  }
  m.sort_completions();
  return m;
}

SlotModel SlotModel::from_rows(const std::vector<SlotRow>& rows) {
  SlotModel m;
  for (const auto& r : rows) {
    Seed& s = m.seeds_[r.seed];
    s.source = r.source;
    s.support = r.support;
    if (!r.slot.empty()) s.completions.push_back({r.slot, r.probability});
  }
  m.sort_completions();
  return m;
}

void SlotModel::sort_completions() {
  for (auto& [seed, s] : seeds_) {
    std::sort(s.completions.begin(), s.completions.end(),
              [](const SlotCompletion& x, const SlotCompletion& y) {
                if (x.probability != y.probability) return x.probability > y.probability;
                const int ox = slot_order(x.slot), oy = slot_order(y.slot);
                return ox != oy ? ox < oy : x.slot < y.slot;
              });
  }
}

const std::vector<SlotCompletion>& SlotModel::completions(const std::string& seed) const {
  static const std::vector<SlotCompletion> kNone;
  const auto it = seeds_.find(seed);
  return it == seeds_.end() ? kNone : it->second.completions;
}

double SlotModel::probability(const std::string& seed, const std::string& slot) const {
  for (const auto& c : completions(seed)) {
    if (c.slot == slot) return c.probability;
  }
  return 0;
}

std::string SlotModel::source(const std::string& seed) const {
  const auto it = seeds_.find(seed);
  return it == seeds_.end() ? "" : it->second.source;
}

double SlotModel::support(const std::string& seed) const {
  const auto it = seeds_.find(seed);
  return it == seeds_.end() ? 0 : it->second.support;
}

std::vector<std::string> SlotModel::seeds() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : seeds_) out.push_back(k);
  std::sort(out.begin(), out.end(), [](const std::string& x, const std::string& y) {
    const int ox = slot_order(x), oy = slot_order(y);
    return ox != oy ? ox < oy : x < y;
  });
  return out;
}

std::vector<SlotRow> SlotModel::rows() const {
  std::vector<SlotRow> out;
  for (const auto& seed : seeds()) {
    const Seed& s = seeds_.at(seed);
    if (s.completions.empty()) out.push_back({seed, "", 0, s.support, s.source});
    for (const auto& c : s.completions) out.push_back({seed, c.slot, c.probability, s.support, s.source});
  }
  return out;
}

}  // namespace ensemble::recommend
