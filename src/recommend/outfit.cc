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

namespace {

// A planned slot and the chosen slot whose completion it is.
struct Planned {
  SlotCompletion completion;
  std::string from_slot;
};

std::vector<Planned> plan_for(const SlotModel& slots, const MerchRules& rules,
                              const std::vector<std::string>& chosen_slots, double threshold) {
  if (chosen_slots.size() == 1) {
    std::vector<Planned> out;
    for (const auto& c : plan_slots(slots, rules, chosen_slots[0], threshold)) {
      out.push_back({c, chosen_slots[0]});
    }
    return out;
  }
  // Union over the chosen slots: each slot at its best probability, most probable first
  // (ties in canonical slot order, as SlotModel sorts completions).
  std::vector<Planned> all;
  for (const auto& from : chosen_slots) {
    for (const auto& c : slots.completions(from)) all.push_back({c, from});
  }
  std::stable_sort(all.begin(), all.end(), [](const Planned& a, const Planned& b) {
    if (a.completion.probability != b.completion.probability) {
      return a.completion.probability > b.completion.probability;
    }
    return slot_order(a.completion.slot) < slot_order(b.completion.slot);
  });
  std::set<std::string> taken(chosen_slots.begin(), chosen_slots.end());
  std::vector<Planned> plan;
  for (const auto& p : all) {
    if (p.completion.probability < threshold || taken.count(p.completion.slot) > 0) continue;
    bool excluded = false;
    for (const auto& t : taken) excluded = excluded || slots_exclusive(rules, t, p.completion.slot);
    if (excluded) continue;
    plan.push_back(p);
    taken.insert(p.completion.slot);
  }
  return plan;
}

Outfit complete_from(const std::vector<std::int32_t>& fixed, const char* fixed_reason,
                     const Catalog& catalog, const PairScorer& scorer, const SlotModel& slots,
                     const MerchRules& rules, double threshold) {
  Outfit outfit;
  outfit.seed = fixed.front();
  const Product& sp = catalog[fixed.front()];
  outfit.plan_source = slots.source(sp.slot).empty() ? "rules" : slots.source(sp.slot);
  std::vector<std::int32_t> chosen;
  std::vector<std::string> chosen_slots;
  for (auto f : fixed) {
    outfit.items.push_back({f, catalog[f].slot, 0, 1, fixed_reason});
    chosen.push_back(f);
    if (std::find(chosen_slots.begin(), chosen_slots.end(), catalog[f].slot) == chosen_slots.end()) {
      chosen_slots.push_back(catalog[f].slot);
    }
  }
  for (const auto& [planned, from_slot] : plan_for(slots, rules, chosen_slots, threshold)) {
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
                    " completes " + from_slot + " in " + pct + " of outfits" +
                    (slots.source(from_slot) == "learned" ? "" : " (rule of thumb)");
      chosen.push_back(best.product);
    }
    outfit.items.push_back(std::move(best));
  }
  return outfit;
}

}  // namespace

Outfit build_outfit(std::int32_t seed, const Catalog& catalog, const PairScorer& scorer,
                    const SlotModel& slots, const MerchRules& rules, double threshold) {
  return complete_from({seed}, "the seed", catalog, scorer, slots, rules, threshold);
}

Outfit complete_outfit(const std::vector<std::int32_t>& fixed, const Catalog& catalog,
                       const PairScorer& scorer, const SlotModel& slots, const MerchRules& rules,
                       double threshold) {
  return complete_from(fixed, "in the photo", catalog, scorer, slots, rules, threshold);
}

}  // namespace ensemble::recommend
