#include "ensemble/recommend/cooccurrence.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>

#include "ensemble/util/error.h"

namespace ensemble::recommend {

Association association_from_string(const std::string& name) {
  if (name == "cosine") return Association::kCosine;
  if (name == "npmi") return Association::kNpmi;
  if (name == "obs_exp") return Association::kObsExp;
  if (name == "lift") return Association::kLift;
  if (name == "count") return Association::kCount;
  throw Error(ErrorCode::kInvalidArgument,
              "unknown association '" + name + "' (cosine, npmi, obs_exp, lift, count)");
}

std::string to_string(Association a) {
  switch (a) {
    case Association::kCosine: return "cosine";
    case Association::kNpmi: return "npmi";
    case Association::kObsExp: return "obs_exp";
    case Association::kLift: return "lift";
    case Association::kCount: return "count";
  }
  return "cosine";
}

double association_score(Association a, double co, double na, double nb, double n) {
  switch (a) {
    case Association::kCosine: return co / std::sqrt(na * nb);
    case Association::kNpmi: {
      const double p = co / n;
      if (p >= 1.0) return 1.0;
      const double v = std::log(co * n / (na * nb)) / -std::log(p);
      return std::clamp(v, -1.0, 1.0);
    }
    case Association::kObsExp: {
      const double e = na * nb / n;
      return (co - e) / std::sqrt(e);
    }
    case Association::kLift: return co * n / (na * nb);
    case Association::kCount: return co;
  }
  return 0;
}

std::set<std::pair<std::string, std::string>> parse_pair_list(const std::vector<std::string>& items,
                                                              const std::string& key) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& item : items) {
    const auto bar = item.find('|');
    auto clean = [](std::string s) {
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
      size_t b = 0;
      while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
      s = s.substr(b);
      for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    const std::string x = bar == std::string::npos ? "" : clean(item.substr(0, bar));
    const std::string y = bar == std::string::npos ? "" : clean(item.substr(bar + 1));
    if (x.empty() || y.empty()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "config key '" + key + "': entry '" + item + "' must look like a|b");
    }
    out.insert(x < y ? std::make_pair(x, y) : std::make_pair(y, x));
  }
  return out;
}

PairOptions PairOptions::from_config(const config::Config& c) {
  PairOptions o;
  o.reference = c.get_string("cooccur.scoring") == "reference";
  o.association = association_from_string(c.get_string("cooccur.association"));
  o.min_support = static_cast<int>(c.get_int("cooccur.min_support"));
  o.shrinkage = c.get_double("cooccur.shrinkage");
  o.match_temperature = c.get_double("cooccur.match_temperature");
  o.mutual_factor = c.get_double("cooccur.mutual_factor");
  o.min_weight = c.get_double("cooccur.min_weight");
  o.same_garment_overlap = c.get_double("cooccur.same_garment_overlap");
  o.region_gate = c.get_bool("cooccur.region_gate");
  o.outlier_percentile = c.get_double("cooccur.outlier_percentile");
  o.outlier_std = c.get_double("cooccur.outlier_std");
  o.layering = parse_pair_list(c.get_list("recommend.layering"), "recommend.layering");
  return o;
}

double otsu_threshold(const std::vector<double>& values) {
  if (values.empty()) return 0;
  const auto [mn_it, mx_it] = std::minmax_element(values.begin(), values.end());
  const double lo = *mn_it, hi = *mx_it;
  if (!(hi > lo)) return lo;
  constexpr int kBins = 64;
  std::vector<double> hist(kBins, 0);
  for (double v : values) {
    hist[static_cast<size_t>(std::min(kBins - 1, static_cast<int>((v - lo) / (hi - lo) * kBins)))] += 1;
  }
  const double total = static_cast<double>(values.size());
  double sum_all = 0;
  for (int i = 0; i < kBins; ++i) sum_all += i * hist[static_cast<size_t>(i)];
  double w0 = 0, sum0 = 0, best = -1;
  int best_i = 0;
  for (int i = 0; i < kBins - 1; ++i) {
    w0 += hist[static_cast<size_t>(i)];
    sum0 += i * hist[static_cast<size_t>(i)];
    const double w1 = total - w0;
    if (w0 == 0 || w1 == 0) continue;
    const double m0 = sum0 / w0, m1 = (sum_all - sum0) / w1;
    const double between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      best_i = i;
    }
  }
  return lo + (hi - lo) * (best_i + 1) / kBins;
}

std::vector<float> region_gates(const MatchEvidence& ev, const PairOptions& o) {
  std::vector<float> gates(ev.regions.size(), 1.0f);
  if (!o.region_gate) return gates;
  std::vector<double> top;
  for (const auto& c : ev.candidates) {
    if (!c.empty()) top.push_back(c.front().score);
  }
  if (top.size() < 8) return gates;
  const auto [lo, hi] = std::minmax_element(top.begin(), top.end());
  if (*hi - *lo < 1e-6) return gates;  // no spread: nothing tells garments from background
  const double t = otsu_threshold(top);
  const double width = std::max(1e-6, (percentile(top, 0.9) - percentile(top, 0.1)) / 10);
  for (size_t r = 0; r < ev.regions.size(); ++r) {
    if (ev.candidates[r].empty()) continue;
    const double s = ev.candidates[r].front().score;
    gates[r] = static_cast<float>(1.0 / (1.0 + std::exp(-(s - t) / width)));
  }
  return gates;
}

std::vector<Assignment> assign_region(const MatchEvidence& ev, std::int32_t region,
                                      const PairOptions& o, float gate) {
  const auto& cands = ev.candidates[static_cast<size_t>(region)];
  std::vector<Assignment> out;
  if (cands.empty()) return out;
  float best = cands.front().score;
  for (const auto& c : cands) best = std::max(best, c.score);
  double total = 0;
  std::vector<double> e(cands.size());
  for (size_t i = 0; i < cands.size(); ++i) {
    e[i] = std::exp((static_cast<double>(cands[i].score) - best) / o.match_temperature);
    total += e[i];
  }
  const bool check_mutual = ev.has_mutual();
  for (size_t i = 0; i < cands.size(); ++i) {
    double w = gate * e[i] / total;
    if (check_mutual && !ev.mutual(cands[i].product, region)) w *= o.mutual_factor;
    if (w >= o.min_weight && w > 0) out.push_back({cands[i].product, static_cast<float>(w)});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Assignment& x, const Assignment& y) { return x.weight > y.weight; });
  return out;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = std::clamp(p, 0.0, 1.0) * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

std::vector<std::int32_t> outlier_indices(const std::vector<double>& values, double p, double k,
                                          double* threshold) {
  std::vector<std::int32_t> out;
  if (values.empty()) {
    if (threshold != nullptr) *threshold = 0;
    return out;
  }
  const double mean =
      std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  double var = 0;
  for (double v : values) var += (v - mean) * (v - mean);
  const double sd = std::sqrt(var / static_cast<double>(values.size()));
  const double cut = percentile(values, p) + k * sd;
  if (threshold != nullptr) *threshold = cut;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] > cut) out.push_back(static_cast<std::int32_t>(i));
  }
  return out;
}

namespace {

// One pair seen in one lookbook with a weight.
struct Sighting {
  std::int32_t a, b, lookbook;
  float weight;
};

// Two regions are one garment when their boxes mostly coincide (IoU). Containment is not enough:
// the visible part of a top lies inside an open coat's box.
bool same_garment(const Region& r, const Region& s, double iou) {
  if (iou > 1.0) return false;
  const int x0 = std::max(r.x, s.x), y0 = std::max(r.y, s.y);
  const int x1 = std::min(r.x + r.w, s.x + s.w), y1 = std::min(r.y + r.h, s.y + s.h);
  if (x1 <= x0 || y1 <= y0) return false;
  const double inter = static_cast<double>(x1 - x0) * (y1 - y0);
  const double uni = static_cast<double>(r.w) * r.h + static_cast<double>(s.w) * s.h - inter;
  return uni > 0 && inter / uni >= iou;
}

bool may_pair(const Product& a, const Product& b, const PairOptions& o) {
  if (a.slot != b.slot) return true;
  const auto key = a.category < b.category ? std::make_pair(a.category, b.category)
                                           : std::make_pair(b.category, a.category);
  return o.layering.count(key) > 0;
}

// Reduces sightings (sorted by a, b, lookbook) into pairs: one count per lookbook, the best weight
// in each lookbook summed.
void reduce(std::vector<Sighting>& s, PairTable& t) {
  std::sort(s.begin(), s.end(), [](const Sighting& x, const Sighting& y) {
    if (x.a != y.a) return x.a < y.a;
    if (x.b != y.b) return x.b < y.b;
    if (x.lookbook != y.lookbook) return x.lookbook < y.lookbook;
    return x.weight > y.weight;
  });
  for (size_t i = 0; i < s.size();) {
    Pair p;
    p.a = s[i].a;
    p.b = s[i].b;
    p.evidence_begin = static_cast<std::uint32_t>(t.evidence.size());
    double w = 0;
    size_t j = i;
    while (j < s.size() && s[j].a == p.a && s[j].b == p.b) {
      if (j == i || s[j].lookbook != s[j - 1].lookbook) {  // the first (best) of each lookbook
        t.evidence.push_back(s[j].lookbook);
        ++p.count;
        w += s[j].weight;
      }
      ++j;
    }
    p.weight = static_cast<float>(w);
    t.pairs.push_back(p);
    i = j;
  }
}

void reference_pairs(const Catalog& catalog, const MatchEvidence& ev, const PairOptions& o,
                     PairTable& t) {
  std::vector<Sighting> sightings;
  std::vector<std::int32_t> present;
  std::vector<std::int32_t> occ(static_cast<size_t>(catalog.size()), 0);
  size_t r = 0;
  while (r < ev.regions.size()) {
    const std::int32_t lb = ev.regions[r].lookbook;
    present.clear();
    for (; r < ev.regions.size() && ev.regions[r].lookbook == lb; ++r) {
      for (const auto& c : ev.candidates[r]) present.push_back(c.product);
    }
    std::sort(present.begin(), present.end());
    present.erase(std::unique(present.begin(), present.end()), present.end());
    if (!present.empty()) ++t.lookbooks;
    for (size_t i = 0; i < present.size(); ++i) {
      ++occ[static_cast<size_t>(present[i])];
      for (size_t j = i + 1; j < present.size(); ++j) {
        sightings.push_back({present[i], present[j], lb, 1.0f});
      }
    }
  }
  reduce(sightings, t);
  t.occurrence.assign(occ.begin(), occ.end());
  // Popularity cut over products that co-occur at all: their total co-occurrence count.
  std::vector<double> total(static_cast<size_t>(catalog.size()), 0);
  for (const auto& p : t.pairs) {
    total[static_cast<size_t>(p.a)] += p.count;
    total[static_cast<size_t>(p.b)] += p.count;
  }
  std::vector<double> values;
  std::vector<std::int32_t> who;
  for (size_t i = 0; i < total.size(); ++i) {
    if (total[i] > 0) {
      values.push_back(total[i]);
      who.push_back(static_cast<std::int32_t>(i));
    }
  }
  std::vector<char> cut(static_cast<size_t>(catalog.size()), 0);
  for (auto i : outlier_indices(values, o.outlier_percentile, o.outlier_std, &t.outlier_threshold)) {
    t.outliers.push_back(who[static_cast<size_t>(i)]);
    cut[static_cast<size_t>(who[static_cast<size_t>(i)])] = 1;
  }
  std::vector<Pair> kept;
  kept.reserve(t.pairs.size());
  for (auto p : t.pairs) {
    if (cut[static_cast<size_t>(p.a)] || cut[static_cast<size_t>(p.b)]) continue;
    if (p.count < o.min_support) continue;
    p.weight = static_cast<float>(p.count);
    p.score = static_cast<float>(p.count);
    kept.push_back(p);
  }
  t.stats["pairs_before_cut"] = t.pairs.size();
  t.pairs = std::move(kept);
}

void ensemble_pairs(const Catalog& catalog, const MatchEvidence& ev, const PairOptions& o,
                    PairTable& t) {
  std::vector<Sighting> sightings;
  std::vector<float> occurrence(static_cast<size_t>(catalog.size()), 0.0f);
  std::vector<float> best_in_lookbook(static_cast<size_t>(catalog.size()), 0.0f);
  std::vector<std::int32_t> touched;
  std::int64_t assignments = 0, same_garment_skips = 0, same_slot_skips = 0;
  const std::vector<float> gates = region_gates(ev, o);
  size_t r = 0;
  while (r < ev.regions.size()) {
    const std::int32_t lb = ev.regions[r].lookbook;
    const size_t begin = r;
    while (r < ev.regions.size() && ev.regions[r].lookbook == lb) ++r;
    // Assignments of every region of the lookbook.
    std::vector<std::vector<Assignment>> as(r - begin);
    for (size_t i = begin; i < r; ++i) {
      as[i - begin] = assign_region(ev, static_cast<std::int32_t>(i), o, gates[i]);
      assignments += static_cast<std::int64_t>(as[i - begin].size());
      for (const auto& x : as[i - begin]) {
        float& best = best_in_lookbook[static_cast<size_t>(x.product)];
        if (best == 0) touched.push_back(x.product);
        best = std::max(best, x.weight);
      }
    }
    if (!touched.empty()) ++t.lookbooks;
    for (auto p : touched) {
      occurrence[static_cast<size_t>(p)] += best_in_lookbook[static_cast<size_t>(p)];
      best_in_lookbook[static_cast<size_t>(p)] = 0;
    }
    touched.clear();
    // Contexts of this lookbook, in order of first appearance.
    std::vector<std::int32_t> contexts;
    for (size_t i = begin; i < r; ++i) {
      if (std::find(contexts.begin(), contexts.end(), ev.regions[i].context) == contexts.end()) {
        contexts.push_back(ev.regions[i].context);
      }
    }
    std::sort(contexts.begin(), contexts.end());
    for (const auto ctx : contexts) {
      std::map<std::string, double> presence;
      for (size_t i = begin; i < r; ++i) {
        if (ev.regions[i].context != ctx) continue;
        std::map<std::string, double> region_slots;
        for (const auto& x : as[i - begin]) region_slots[catalog[x.product].slot] += x.weight;
        for (const auto& [slot, w] : region_slots) {
          presence[slot] = std::max(presence[slot], std::min(1.0, w));
        }
        for (size_t j = i + 1; j < r; ++j) {
          if (ev.regions[j].context != ctx) continue;
          if (same_garment(ev.regions[i], ev.regions[j], o.same_garment_overlap)) {
            ++same_garment_skips;
            continue;
          }
          for (const auto& x : as[i - begin]) {
            for (const auto& y : as[j - begin]) {
              if (x.product == y.product) continue;
              if (!may_pair(catalog[x.product], catalog[y.product], o)) {
                ++same_slot_skips;
                continue;
              }
              const auto a = std::min(x.product, y.product), b = std::max(x.product, y.product);
              sightings.push_back({a, b, lb, x.weight * y.weight});
            }
          }
        }
      }
      if (!presence.empty()) t.contexts.push_back(std::move(presence));
    }
  }
  reduce(sightings, t);
  t.occurrence = std::move(occurrence);
  const double n = std::max<double>(1, t.lookbooks);
  std::vector<Pair> kept;
  kept.reserve(t.pairs.size());
  for (auto p : t.pairs) {
    if (p.count < o.min_support) continue;
    const double na = std::max<double>(t.occurrence[static_cast<size_t>(p.a)], p.weight);
    const double nb = std::max<double>(t.occurrence[static_cast<size_t>(p.b)], p.weight);
    double s = association_score(o.association, p.weight, na, nb, std::max(n, std::max(na, nb)));
    if (o.shrinkage > 0) s *= p.weight / (p.weight + o.shrinkage);
    p.score = static_cast<float>(s);
    kept.push_back(p);
  }
  t.pairs = std::move(kept);
  t.stats["assignments"] = assignments;
  t.stats["region_pairs_skipped_same_garment"] = same_garment_skips;
  t.stats["product_pairs_skipped_same_slot"] = same_slot_skips;
  t.stats["contexts"] = t.contexts.size();
}

}  // namespace

PairTable generate_pairs(const Catalog& catalog, const MatchEvidence& evidence,
                         const PairOptions& options) {
  PairTable t;
  t.scoring = options.reference ? "reference" : "ensemble";
  t.lookbook_ids = evidence.lookbooks;
  if (options.reference) {
    reference_pairs(catalog, evidence, options, t);
  } else {
    ensemble_pairs(catalog, evidence, options, t);
  }
  // Evidence of dropped pairs stays in `evidence` unreferenced; compact it.
  std::vector<std::int32_t> compact;
  compact.reserve(t.evidence.size());
  for (auto& p : t.pairs) {
    const auto b = p.evidence_begin;
    p.evidence_begin = static_cast<std::uint32_t>(compact.size());
    compact.insert(compact.end(), t.evidence.begin() + b, t.evidence.begin() + b + p.count);
  }
  t.evidence = std::move(compact);
  std::int64_t products = 0;
  for (float x : t.occurrence) products += x > 0;
  t.stats["scoring"] = t.scoring;
  t.stats["pairs"] = t.pairs.size();
  t.stats["lookbooks"] = t.lookbooks;
  t.stats["products_seen"] = products;
  if (options.reference) {
    t.stats["outliers"] = t.outliers.size();
    t.stats["outlier_threshold"] = t.outlier_threshold;
  } else {
    t.stats["association"] = to_string(options.association);
  }
  return t;
}

}  // namespace ensemble::recommend
