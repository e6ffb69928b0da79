#include "sample/style_model.h"

#include <algorithm>
#include <cassert>

namespace ensemble::sample {

namespace {

constexpr std::uint64_t kPoolStream = 0x706f6f6c;  // "pool"

std::vector<double> style_weights() {
  std::vector<double> w;
  for (const Style& s : styles()) w.push_back(s.weight);
  return w;
}

int draw_palette_colour(Rng& rng, const Style& style, int exclude) {
  std::vector<double> w;
  std::vector<int> idx;
  for (const auto& [name, weight] : style.palette) {
    const int c = colour_index(name);
    assert(c >= 0);
    if (c == exclude) continue;
    idx.push_back(c);
    w.push_back(weight);
  }
  if (idx.empty()) return (exclude + 1) % kColourCount;
  return idx[rng.weighted(w)];
}

bool template_has(const OutfitTemplate& t, Slot slot) {
  return std::find(t.required.begin(), t.required.end(), slot) != t.required.end();
}

}  // namespace

void assign_style_attributes(Rng& rng, int category, const StyleModelParams& params,
                             ProductSpec& p) {
  p.category = category;
  p.style = static_cast<int>(rng.weighted(style_weights()));
  const Style& style = styles()[static_cast<std::size_t>(p.style)];
  if (rng.bernoulli(params.off_palette_rate)) {
    p.colour = static_cast<int>(rng.index(kColourCount));
  } else {
    p.colour = draw_palette_colour(rng, style, -1);
  }
  p.colour2 = draw_palette_colour(rng, style, p.colour);

  if (is_accessory(category)) {
    p.pattern = Pattern::kSolid;
  } else if (rng.bernoulli(params.off_pattern_rate)) {
    p.pattern = static_cast<Pattern>(rng.index(kPatternCount));
  } else {
    p.pattern = static_cast<Pattern>(
        rng.weighted(std::vector<double>(style.patterns.begin(), style.patterns.end())));
  }

  const double ws = style.women_share;
  if (category == kDressCategory) {
    p.gender = Gender::kWomen;
  } else if (category == kBagCategory) {
    p.gender = rng.bernoulli(0.6) ? Gender::kWomen : Gender::kUnisex;
  } else {
    const double unisex = is_accessory(category) ? 0.5 : 0.2;
    const double r = rng.uniform();
    p.gender = r < unisex                          ? Gender::kUnisex
               : r < unisex + (1.0 - unisex) * ws ? Gender::kWomen
                                                   : Gender::kMen;
  }
}

StyleModel::StyleModel(const std::vector<ProductSpec>& products, std::uint64_t seed,
                       StyleModelParams params)
    : products_(&products), params_(params), style_draw_(style_weights()) {
  const std::size_t n_styles = styles().size();
  style_sizes_.assign(n_styles, 0);
  for (const ProductSpec& p : products) ++style_sizes_[static_cast<std::size_t>(p.style)];

  // Hubs: accessories taken in a seeded order, cycling through the accessory categories so the
  // hijackers are a watch, sunglasses, a belt, a hat, ... as in real street-style data.
  std::vector<std::vector<int>> by_category(kCategoryCount);
  for (int i = 0; i < static_cast<int>(products.size()); ++i) {
    if (is_accessory(products[static_cast<std::size_t>(i)].category)) {
      by_category[static_cast<std::size_t>(products[static_cast<std::size_t>(i)].category)].push_back(i);
    }
  }
  // Unisex ones first: a hub is worn in women's and men's outfits alike.
  Rng hub_rng(derive_seed(seed, kPoolStream, 0xffff));
  for (auto& v : by_category) {
    hub_rng.shuffle(v);
    std::stable_partition(v.begin(), v.end(), [&](int i) {
      return products[static_cast<std::size_t>(i)].gender == Gender::kUnisex;
    });
  }
  static constexpr int kHubOrder[] = {kWatch, kSunglasses, kBelt, kHat};
  std::array<std::size_t, kCategoryCount> taken{};
  for (int round = 0; static_cast<int>(hubs_.size()) < params_.hubs; ++round) {
    bool any = false;
    for (int cat : kHubOrder) {
      if (static_cast<int>(hubs_.size()) >= params_.hubs) break;
      auto& v = by_category[static_cast<std::size_t>(cat)];
      auto& t = taken[static_cast<std::size_t>(cat)];
      if (t < v.size()) {
        hubs_.push_back(v[t++]);
        any = true;
      }
    }
    if (!any) break;
  }
  hub_weights_ = zipf_weights(hubs_.size(), params_.hub_zipf_exponent);
  if (!hubs_.empty()) hub_draw_ = Discrete(hub_weights_);

  pools_.resize(n_styles + 1);
  for (int i = 0; i < static_cast<int>(products.size()); ++i) {
    const ProductSpec& p = products[static_cast<std::size_t>(i)];
    if (std::find(hubs_.begin(), hubs_.end(), i) != hubs_.end()) continue;
    const auto slot = static_cast<std::size_t>(p.slot());
    for (std::size_t s : {static_cast<std::size_t>(p.style), n_styles}) {
      if (p.gender != Gender::kMen) pools_[s][slot][0].products.push_back(i);
      if (p.gender != Gender::kWomen) pools_[s][slot][1].products.push_back(i);
    }
  }
  std::uint64_t k = 0;
  for (auto& by_slot : pools_) {
    for (auto& by_gender : by_slot) {
      for (Pool& pool : by_gender) {
        Rng rng(derive_seed(seed, kPoolStream, k++));
        rng.shuffle(pool.products);
        if (!pool.products.empty()) {
          pool.draw = Discrete(zipf_weights(pool.products.size(), params_.zipf_exponent));
        }
      }
    }
  }

  looks_.resize(n_styles);
  for (std::size_t s = 0; s < n_styles; ++s) {
    Rng rng(derive_seed(seed, kPoolStream, 0x100000 + s));
    for (int l = 0; l < params_.looks_per_style; ++l) {
      Outfit look = fresh_outfit(rng, static_cast<int>(s));
      if (look.items.size() >= 2) looks_[s].push_back(std::move(look));
    }
  }
  if (params_.looks_per_style > 0) {
    look_draw_ = Discrete(zipf_weights(static_cast<std::size_t>(params_.looks_per_style),
                                       params_.look_zipf_exponent));
  }
}

const StyleModel::Pool* StyleModel::pool(int style, Slot slot, Gender gender) const {
  const Pool& p = pools_[static_cast<std::size_t>(style)][static_cast<std::size_t>(slot)]
                        [static_cast<std::size_t>(gender_slot(gender))];
  return p.products.empty() ? nullptr : &p;
}

int StyleModel::draw_product(Rng& rng, int style, Slot slot, Gender gender) const {
  const int n_styles = static_cast<int>(styles().size());
  int source = style;
  if (n_styles > 1 && rng.bernoulli(params_.cross_style_rate)) {
    source = static_cast<int>(rng.index(static_cast<std::size_t>(n_styles - 1)));
    if (source >= style) ++source;
  }
  const Gender other = gender == Gender::kMen ? Gender::kWomen : Gender::kMen;
  const Pool* p = pool(source, slot, gender);
  if (p == nullptr) p = pool(n_styles, slot, gender);
  if (p == nullptr) p = pool(n_styles, slot, other);
  if (p == nullptr) return -1;
  return p->products[p->draw(rng)];
}

Outfit StyleModel::sample_outfit(Rng& rng) const {
  return sample_outfit(rng, static_cast<int>(style_draw_(rng)));
}

Outfit StyleModel::fresh_outfit(Rng& rng, int style) const {
  const Style& st = styles()[static_cast<std::size_t>(style)];
  Outfit outfit;
  outfit.style = style;
  outfit.template_id = static_cast<int>(
      rng.weighted(std::vector<double>(st.templates.begin(), st.templates.end())));
  const OutfitTemplate& tpl = outfit_templates()[static_cast<std::size_t>(outfit.template_id)];
  outfit.gender = template_has(tpl, Slot::kDress) || rng.bernoulli(st.women_share)
                      ? Gender::kWomen
                      : Gender::kMen;

  auto add = [&](Slot slot) {
    const int product = draw_product(rng, style, slot, outfit.gender);
    if (product >= 0) outfit.items.push_back({product, slot, false});
  };
  for (Slot slot : tpl.required) add(slot);
  for (const auto& [slot, chance] : tpl.optional) {
    if (rng.bernoulli(chance)) add(slot);
  }
  return outfit;
}

void StyleModel::add_hub(Rng& rng, Outfit& outfit) const {
  if (hubs_.empty() || !rng.bernoulli(params_.hub_rate)) return;
  const int hub = hubs_[hub_draw_(rng)];
  const int hub_category = (*products_)[static_cast<std::size_t>(hub)].category;
  auto same = std::find_if(outfit.items.begin(), outfit.items.end(), [&](const OutfitItem& it) {
    return (*products_)[static_cast<std::size_t>(it.product)].category == hub_category;
  });
  if (same != outfit.items.end()) {
    *same = {hub, Slot::kAccessory, true};
  } else {
    outfit.items.push_back({hub, Slot::kAccessory, true});
  }
}

Outfit StyleModel::sample_outfit(Rng& rng, int style) const {
  const auto& looks = looks_[static_cast<std::size_t>(style)];
  Outfit outfit;
  if (!looks.empty() && rng.bernoulli(params_.look_rate)) {
    // A signature look, re-shot with some pieces swapped.
    outfit = looks[look_draw_(rng) % looks.size()];
    for (OutfitItem& it : outfit.items) {
      if (!rng.bernoulli(params_.remix_rate)) continue;
      const int product = draw_product(rng, style, it.slot, outfit.gender);
      const bool present = std::any_of(outfit.items.begin(), outfit.items.end(),
                                        [&](const OutfitItem& x) { return x.product == product; });
      if (product >= 0 && !present) it.product = product;
    }
  } else {
    outfit = fresh_outfit(rng, style);
  }
  add_hub(rng, outfit);
  std::stable_sort(outfit.items.begin(), outfit.items.end(),
                   [](const OutfitItem& a, const OutfitItem& b) { return a.slot < b.slot; });
  return outfit;
}

}  // namespace ensemble::sample
