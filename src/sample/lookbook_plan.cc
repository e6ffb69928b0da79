#include "sample/lookbook_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace ensemble::sample {

namespace {

constexpr std::uint64_t kPlanStream = 0x706c616e;    // "plan"
constexpr std::uint64_t kRenderStream = 0x6c6f6f6b;  // "look"

bool shares_product(const Outfit& a, const Outfit& b) {
  for (const OutfitItem& x : a.items) {
    for (const OutfitItem& y : b.items) {
      if (x.product == y.product) return true;
    }
  }
  return false;
}

}  // namespace

std::string lookbook_id(int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "lb%04d", index);
  return buf;
}

std::vector<int> outfit_products(const Outfit& outfit) {
  std::vector<int> v;
  for (const OutfitItem& it : outfit.items) v.push_back(it.product);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

SamplePlan plan_sample(const StyleModel& model, int lookbooks, int held_out,
                       double two_outfit_fraction, std::uint64_t seed) {
  Rng rng(derive_seed(seed, kPlanStream));
  SamplePlan plan;
  const int n = std::max(lookbooks, 0);
  const int doubles = std::clamp(static_cast<int>(std::lround(two_outfit_fraction * n)), 0, n);
  std::vector<char> is_double(static_cast<std::size_t>(n), 0);
  std::fill(is_double.begin(), is_double.begin() + doubles, 1);
  rng.shuffle(is_double);

  for (int i = 0; i < n; ++i) {
    LookbookPlan lb;
    lb.id = lookbook_id(i);
    lb.render_seed = derive_seed(seed, kRenderStream, static_cast<std::uint64_t>(i));
    lb.outfits.push_back(model.sample_outfit(rng));
    if (is_double[static_cast<std::size_t>(i)]) {
      // Editorial shoots pair two looks of one style; street snaps pair anything.
      const bool same_style = rng.bernoulli(0.5);
      Outfit second;
      for (int attempt = 0; attempt < 20; ++attempt) {
        second = same_style ? model.sample_outfit(rng, lb.outfits[0].style) : model.sample_outfit(rng);
        if (!shares_product(lb.outfits[0], second)) break;
      }
      // In a catalog too small to avoid it, drop the shared items from the second look.
      std::erase_if(second.items, [&](const OutfitItem& it) {
        for (const OutfitItem& x : lb.outfits[0].items) {
          if (x.product == it.product) return true;
        }
        return false;
      });
      if (!second.items.empty()) lb.outfits.push_back(std::move(second));
    }
    plan.lookbooks.push_back(std::move(lb));
  }

  std::vector<std::vector<int>> shown;
  for (const LookbookPlan& lb : plan.lookbooks) {
    std::vector<int> all;
    for (const Outfit& o : lb.outfits) {
      const auto p = outfit_products(o);
      all.insert(all.end(), p.begin(), p.end());
    }
    std::sort(all.begin(), all.end());
    shown.push_back(std::move(all));
  }
  std::set<std::vector<int>> chosen;
  const int attempts = std::max(held_out, 0) * 50;
  for (int a = 0; a < attempts && static_cast<int>(plan.held_out.size()) < held_out; ++a) {
    Outfit o = model.sample_outfit(rng);
    const std::vector<int> key = outfit_products(o);
    if (key.size() < 2 || chosen.count(key) != 0) continue;
    const bool seen = std::any_of(shown.begin(), shown.end(), [&](const std::vector<int>& s) {
      return std::includes(s.begin(), s.end(), key.begin(), key.end());
    });
    if (seen) continue;
    chosen.insert(key);
    plan.held_out.push_back(std::move(o));
  }
  return plan;
}

}  // namespace ensemble::sample
