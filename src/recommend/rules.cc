#include "ensemble/recommend/rules.h"

#include <cctype>
#include <unordered_map>

#include "ensemble/recommend/cooccurrence.h"

namespace ensemble::recommend {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Case-insensitive equality without allocating (rules run for every candidate of every list).
bool ieq(const std::string& a, const char* b) {
  size_t i = 0;
  for (; i < a.size() && b[i] != '\0'; ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return i == a.size() && b[i] == '\0';
}

std::pair<std::string, std::string> ordered(const std::string& a, const std::string& b) {
  return a < b ? std::make_pair(a, b) : std::make_pair(b, a);
}

bool is_kids(const Product& p, const MerchRules& r) {
  const std::string& g = p.attribute(r.gender_attribute);
  const std::string& age = p.attribute(r.age_attribute);
  for (const char* k : {"kids", "girls", "boys"}) {
    if (ieq(g, k)) return true;
  }
  for (const char* k : {"kids", "kid", "child", "children", "baby"}) {
    if (ieq(age, k)) return true;
  }
  return false;
}

bool has_age_info(const Product& p, const MerchRules& r) {
  return !p.attribute(r.gender_attribute).empty() || !p.attribute(r.age_attribute).empty();
}

}  // namespace

MerchRules MerchRules::from_config(const config::Config& c) {
  MerchRules r;
  r.match_gender = c.get_bool("recommend.match_gender");
  r.gender_attribute = c.get_string("recommend.gender_attribute");
  r.age_attribute = c.get_string("recommend.age_attribute");
  r.style_attribute = c.get_string("recommend.style_attribute");
  r.colour_attribute = c.get_string("recommend.colour_attribute");
  r.exclusive_slots =
      parse_pair_list(c.get_list("recommend.exclusive_slots"), "recommend.exclusive_slots");
  r.layering = parse_pair_list(c.get_list("recommend.layering"), "recommend.layering");
  for (const auto& s : c.get_list("recommend.style_classes")) r.style_classes.insert(lower(s));
  r.colour_clashes =
      parse_pair_list(c.get_list("recommend.colour_clashes"), "recommend.colour_clashes");
  r.price_band = c.get_double("recommend.price_band");
  r.max_per_slot = static_cast<int>(c.get_int("recommend.max_per_slot"));
  r.max_per_colour = static_cast<int>(c.get_int("recommend.max_per_colour"));
  r.max_per_category = static_cast<int>(c.get_int("recommend.max_per_category"));
  return r;
}

bool MerchRules::compatible(const Product& a, const Product& b, std::string* why) const {
  auto no = [&](const std::string& reason) {
    if (why != nullptr) *why = reason;
    return false;
  };
  if (a.id == b.id) return no("same product");
  if (a.slot == b.slot && (layering.empty() || layering.count(ordered(a.category, b.category)) == 0)) {
    return no("same slot (" + a.slot + ")");
  }
  for (const auto& [x, y] : exclusive_slots) {
    if ((x == a.slot && y == b.slot) || (x == b.slot && y == a.slot)) {
      return no(a.slot + " never with " + b.slot);
    }
  }
  if (match_gender) {
    if (has_age_info(a, *this) && has_age_info(b, *this) && is_kids(a, *this) != is_kids(b, *this)) {
      return no("kids with adult");
    }
    const std::string& ga = a.attribute(gender_attribute);
    const std::string& gb = b.attribute(gender_attribute);
    if ((ieq(ga, "women") && ieq(gb, "men")) || (ieq(ga, "men") && ieq(gb, "women"))) {
      return no(lower(ga) + " with " + lower(gb));
    }
  }
  if (!style_classes.empty()) {
    const std::string sa = lower(a.attribute(style_attribute));
    const std::string sb = lower(b.attribute(style_attribute));
    if (!sa.empty() && !sb.empty() && sa != sb &&
        (style_classes.count(sa) > 0 || style_classes.count(sb) > 0)) {
      return no("style " + sa + " only with itself");
    }
  }
  if (!colour_clashes.empty()) {
    const std::string ca = lower(a.attribute(colour_attribute));
    const std::string cb = lower(b.attribute(colour_attribute));
    if (!ca.empty() && !cb.empty() && colour_clashes.count(ordered(ca, cb)) > 0) {
      return no("colour clash " + ca + "/" + cb);
    }
  }
  return true;
}

bool MerchRules::price_ok(const Product& seed, const Product& c) const {
  if (price_band <= 0 || !(seed.price > 0) || !(c.price > 0)) return true;
  const double band = std::max(1.0, price_band);
  return c.price >= seed.price / band && c.price <= seed.price * band;
}

bool DiversityCaps::admit(const Product& p) {
  const std::string colour = lower(p.attribute(rules_.colour_attribute));
  if (rules_.max_per_slot > 0 && slot_[p.slot] >= rules_.max_per_slot) return false;
  if (rules_.max_per_category > 0 && category_[p.category] >= rules_.max_per_category) return false;
  if (rules_.max_per_colour > 0 && !colour.empty() && colour_[colour] >= rules_.max_per_colour) {
    return false;
  }
  ++slot_[p.slot];
  ++category_[p.category];
  if (!colour.empty()) ++colour_[colour];
  return true;
}

CompiledRules::CompiledRules(const MerchRules& rules, const Catalog& catalog)
    : match_gender_(rules.match_gender),
      any_layering_(!rules.layering.empty()),
      styles_(!rules.style_classes.empty()),
      clashes_(!rules.colour_clashes.empty()) {
  // Codes of the strings compatible() compares: slots and categories as they are, styles and
  // colours lower-cased.
  std::unordered_map<std::string, int> slots, categories, styles, colours;
  auto code = [](std::unordered_map<std::string, int>& m, const std::string& v) {
    return m.try_emplace(v, static_cast<int>(m.size())).first->second;
  };
  keys_.resize(static_cast<size_t>(catalog.size()));
  for (std::int32_t i = 0; i < catalog.size(); ++i) {
    const Product& p = catalog[i];
    Key& k = keys_[static_cast<size_t>(i)];
    k.slot = code(slots, p.slot);
    k.category = code(categories, p.category);
    k.age_info = has_age_info(p, rules);
    k.kids = is_kids(p, rules);
    const std::string& g = p.attribute(rules.gender_attribute);
    k.gender = ieq(g, "women") ? 1 : ieq(g, "men") ? 2 : 0;
    const std::string style = lower(p.attribute(rules.style_attribute));
    if (!style.empty()) {
      k.style = code(styles, style);
      k.style_class = rules.style_classes.count(style) > 0;
    }
    const std::string colour = lower(p.attribute(rules.colour_attribute));
    if (!colour.empty()) k.colour = code(colours, colour);
  }
  // Pairs whose strings never occur in the catalog can never match: only known codes are kept.
  auto add_pairs = [&](const std::set<std::pair<std::string, std::string>>& pairs,
                       const std::unordered_map<std::string, int>& m,
                       std::unordered_set<std::uint64_t>& out) {
    for (const auto& [x, y] : pairs) {
      const auto ix = m.find(x), iy = m.find(y);
      if (ix == m.end() || iy == m.end()) continue;
      out.insert(pair_key(ix->second, iy->second));
      out.insert(pair_key(iy->second, ix->second));
    }
  };
  add_pairs(rules.layering, categories, layering_);
  add_pairs(rules.exclusive_slots, slots, exclusive_);
  add_pairs(rules.colour_clashes, colours, clash_);
}

bool CompiledRules::compatible(std::int32_t a, std::int32_t b) const {
  if (a == b) return false;
  const Key& x = keys_[static_cast<size_t>(a)];
  const Key& y = keys_[static_cast<size_t>(b)];
  if (x.slot == y.slot && (!any_layering_ || layering_.count(pair_key(x.category, y.category)) == 0)) {
    return false;
  }
  if (!exclusive_.empty() && exclusive_.count(pair_key(x.slot, y.slot)) > 0) return false;
  if (match_gender_) {
    if (x.age_info && y.age_info && x.kids != y.kids) return false;
    if (x.gender != 0 && y.gender != 0 && x.gender != y.gender) return false;
  }
  if (styles_ && x.style >= 0 && y.style >= 0 && x.style != y.style &&
      (x.style_class || y.style_class)) {
    return false;
  }
  if (clashes_ && x.colour >= 0 && y.colour >= 0 && clash_.count(pair_key(x.colour, y.colour)) > 0) {
    return false;
  }
  return true;
}

CompiledCaps::CompiledCaps(const MerchRules& rules, const CompiledRules& compiled)
    : compiled_(compiled),
      max_slot_(rules.max_per_slot),
      max_colour_(rules.max_per_colour),
      max_category_(rules.max_per_category) {}

int& CompiledCaps::count(std::vector<std::pair<int, int>>& counts, int code) {
  for (auto& [c, n] : counts) {
    if (c == code) return n;
  }
  counts.emplace_back(code, 0);
  return counts.back().second;
}

bool CompiledCaps::admit(std::int32_t p) {
  // As DiversityCaps::admit: every cap is checked before any is counted.
  const int slot = compiled_.slot_code(p), category = compiled_.category_code(p),
            colour = compiled_.colour_code(p);
  if (max_slot_ > 0 && count(slot_, slot) >= max_slot_) return false;
  if (max_category_ > 0 && count(category_, category) >= max_category_) return false;
  if (max_colour_ > 0 && colour >= 0 && count(colour_, colour) >= max_colour_) return false;
  if (max_slot_ > 0) ++count(slot_, slot);
  if (max_category_ > 0) ++count(category_, category);
  if (max_colour_ > 0 && colour >= 0) ++count(colour_, colour);
  return true;
}

}  // namespace ensemble::recommend
