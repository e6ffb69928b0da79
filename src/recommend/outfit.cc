#include "ensemble/recommend/outfit.h"

#include <algorithm>
#include <cstdio>
#include <set>

namespace ensemble::recommend {

namespace {
bool slots_exclusive(const MerchRules& rules, const std::string& a, const std::string& b) {
  return rules.exclusive_slots.count(a < b ? std::make_pair(a, b) : std::make_pair(b, a)) > 0;
}
}  // namespace

std::vector<SlotCompletion> plan_slots(const SlotModel& slots, const MerchRules& rules,
                                       const std::string& seed_slot, double threshold) {
  std::vector<SlotCompletion> plan;
  std::set<std::string> taken = {seed_slot};
  for (const auto& c : slots.completions(seed_slot)) {
    if (c.probability < threshold || taken.count(c.slot) > 0) continue;
    bool excluded = false;
    for (const auto& t : taken) excluded = excluded || slots_exclusive(rules, t, c.slot);
    if (excluded) continue;
    plan.push_back(c);
    taken.insert(c.slot);
  }
  return plan;
}

Outfit build_outfit(std::int32_t seed, const Catalog& catalog, const PairScorer& scorer,
                    const SlotModel& slots, const MerchRules& rules, double threshold) {
  Outfit outfit;
  outfit.seed = seed;
  const Product& sp = catalog[seed];
  outfit.plan_source = slots.source(sp.slot).empty() ? "rules" : slots.source(sp.slot);
  outfit.items.push_back({seed, sp.slot, 0, 1, "the seed"});
  std::vector<std::int32_t> chosen = {seed};
  for (const auto& planned : plan_slots(slots, rules, sp.slot, threshold)) {
    // Candidates suggested by any chosen product for this slot.
    std::vector<std::int32_t> cands;
    for (auto c : chosen) {
      const auto more = scorer.candidates(c, planned.slot);
      cands.insert(cands.end(), more.begin(), more.end());
    }
    std::sort(cands.begin(), cands.end());
    cands.erase(std::unique(cands.begin(), cands.end()), cands.end());
    OutfitItem best;
    best.slot = planned.slot;
    best.probability = planned.probability;
    double best_score = -1e300;
    for (auto c : cands) {
      const Product& cp = catalog[c];
      if (cp.slot != planned.slot || !rules.price_ok(sp, cp)) continue;
      bool ok = true;
      double s = 0;
      for (auto x : chosen) {
        if (!rules.compatible(catalog[x], cp)) {
          ok = false;
          break;
        }
        s += scorer.compat(x, c);
      }
      if (!ok) continue;
      if (s > best_score || (s == best_score && cp.id < catalog[best.product].id)) {
        best_score = s;
        best.product = c;
        best.score = s;
      }
    }
    char pct[16];
    std::snprintf(pct, sizeof pct, "%.0f%%", 100 * planned.probability);
    if (best.product < 0) {
      best.reason = "no " + planned.slot + " passed the rules with evidence for this outfit";
    } else {
      best.reason = "best " + planned.slot + " with the " + std::to_string(chosen.size()) +
                    (chosen.size() == 1 ? " item" : " items") + " chosen so far; " + planned.slot +
                    " completes " + sp.slot + " in " + pct + " of outfits" +
                    (outfit.plan_source == "rules" ? " (rule of thumb)" : "");
      chosen.push_back(best.product);
    }
    outfit.items.push_back(std::move(best));
  }
  return outfit;
}

}  // namespace ensemble::recommend
