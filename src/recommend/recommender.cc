#include "ensemble/recommend/recommender.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>

namespace ensemble::recommend {

RecommendOptions RecommendOptions::from_config(const config::Config& c) {
  RecommendOptions o;
  o.reference = c.get_string("cooccur.scoring") == "reference";
  o.per_product = static_cast<int>(c.get_int("recommend.per_product"));
  o.neighbour_weight = c.get_double("recommend.neighbour_weight");
  o.attribute_weight = c.get_double("recommend.attribute_weight");
  o.feedback_boost = c.get_double("recommend.feedback_boost");
  o.feedback_drop = c.get_bool("recommend.feedback_drop");
  o.slot_threshold = c.get_double("recommend.slot_threshold");
  o.slot_rounds = c.get_bool("recommend.slot_rounds");
  return o;
}

Recommender::Recommender(const Catalog& catalog, const PairTable& pairs, NeighbourGraph neighbours,
                         AttributeAffinity affinity, SlotModel slots, MerchRules rules,
                         FeedbackTable feedback, RecommendOptions options)
    : catalog_(catalog),
      pairs_(pairs),
      neighbours_(std::move(neighbours)),
      affinity_(std::move(affinity)),
      slots_(std::move(slots)),
      rules_(std::move(rules)),
      feedback_(std::move(feedback)),
      options_(options),
      adjacency_(static_cast<size_t>(catalog.size())) {
  for (size_t i = 0; i < pairs_.pairs.size(); ++i) {
    const Pair& p = pairs_.pairs[i];
    adjacency_[static_cast<size_t>(p.a)].push_back({p.b, static_cast<std::int32_t>(i), p.score});
    adjacency_[static_cast<size_t>(p.b)].push_back({p.a, static_cast<std::int32_t>(i), p.score});
  }
  for (auto& edges : adjacency_) {
    std::sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) { return x.other < y.other; });
  }
  compiled_ = CompiledRules(rules_, catalog_);
  codes_.reserve(static_cast<size_t>(catalog.size()) * affinity_.keys());
  for (std::int32_t i = 0; i < catalog.size(); ++i) {
    const auto c = affinity_.codes(catalog[i]);
    codes_.insert(codes_.end(), c.begin(), c.end());
  }
}

double Recommender::affinity(std::int32_t a, std::int32_t b) const {
  const size_t k = affinity_.keys();
  if (k == 0) return 0;
  return affinity_.score_codes(codes_.data() + static_cast<size_t>(a) * k,
                               codes_.data() + static_cast<size_t>(b) * k);
}

const Pair* Recommender::pair(std::int32_t a, std::int32_t b) const {
  if (a < 0 || b < 0 || a >= catalog_.size() || b >= catalog_.size()) return nullptr;
  const auto& edges = adjacency_[static_cast<size_t>(a)];
  const auto it = std::lower_bound(edges.begin(), edges.end(), b,
                                   [](const Edge& e, std::int32_t x) { return e.other < x; });
  if (it == edges.end() || it->other != b) return nullptr;
  return &pairs_.pairs[static_cast<size_t>(it->pair)];
}

double Recommender::score_of(std::int32_t a, std::int32_t b) const {
  const Pair* p = pair(a, b);
  return p == nullptr ? 0.0 : p->score;
}

double Recommender::one_sided(std::int32_t a, std::int32_t b) const {
  double sum = 0, z = 0;
  for (const auto& n : neighbours_.of(a)) {
    z += n.weight;
    sum += n.weight * score_of(n.product, b);
  }
  return z > 0 ? sum / z : 0.0;
}

double Recommender::compat(std::int32_t a, std::int32_t b) const {
  if (options_.reference) return score_of(a, b);
  double s = score_of(a, b);
  const double lambda = options_.neighbour_weight;
  if (lambda > 0) {
    s += lambda * 0.5 * (one_sided(a, b) + one_sided(b, a));
    double two = 0, za = 0, zb = 0;
    for (const auto& m : neighbours_.of(b)) zb += m.weight;
    for (const auto& n : neighbours_.of(a)) {
      za += n.weight;
      for (const auto& m : neighbours_.of(b)) two += n.weight * m.weight * score_of(n.product, m.product);
    }
    if (za > 0 && zb > 0) s += lambda * lambda * two / (za * zb);
  }
  if (options_.attribute_weight > 0) {
    s += options_.attribute_weight * affinity(a, b);
  }
  if (options_.feedback_boost > 0) s += options_.feedback_boost * feedback_.net(a, b);
  return s;
}

std::vector<std::int32_t> Recommender::candidates(std::int32_t product,
                                                  const std::string& slot) const {
  std::vector<std::int32_t> out;
  for (const auto& r : recommend(product, std::max(50, options_.per_product))) {
    if (catalog_[r.product].slot == slot) out.push_back(r.product);
  }
  if (out.empty()) {
    // Nothing through pairs: the partners of the product's neighbours in that slot.
    for (const auto& n : neighbours_.of(product)) {
      for (const auto& e : adjacency_[static_cast<size_t>(n.product)]) {
        if (catalog_[e.other].slot == slot) out.push_back(e.other);
      }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

std::string Recommender::empty_reason(std::int32_t seed) const {
  if (!has_evidence(seed) && neighbours_.of(seed).empty()) {
    return "no lookbook evidence and no visual neighbours";
  }
  return "no candidate passed the merchandiser rules";
}

namespace {
std::string percent(double p) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", 100.0 * p);
  return buf;
}
std::string plural(std::int32_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}
}  // namespace

std::string describe_recommendation(const Product& seed, const Product& rec,
                                   const std::string& source, std::int32_t support,
                                   const std::string& via, int feedback, const SlotModel& slots) {
  std::string out;
  if (source == "pairs") {
    out = "seen together in " + plural(support, "lookbook", "lookbooks");
  } else if (source == "neighbours" && !via.empty()) {
    out = "looks like " + via + ", seen with it in " + plural(support, "lookbook", "lookbooks");
  } else if (source == "reference") {
    out = "seen in the same lookbook " + plural(support, "time", "times");
  } else {
    out = "recommended by shoppers";
  }
  const double prob = source == "reference" ? 0 : slots.probability(seed.slot, rec.slot);
  if (prob > 0) {
    const bool vowel = !seed.slot.empty() && std::string("aeiou").find(seed.slot[0]) != std::string::npos;
    out += "; " + rec.slot + " completes " + (vowel ? "an " : "a ") + seed.slot + " in " +
           percent(prob) + " of outfits";
    if (slots.source(seed.slot) == "rules") out += " (rule of thumb)";
  }
  if (feedback > 0) out += "; " + plural(feedback, "thumb up", "thumbs up");
  return out;
}

std::vector<Recommendation> Recommender::recommend(std::int32_t seed, int k) const {
  std::vector<Recommendation> out;
  if (seed < 0 || seed >= catalog_.size() || k <= 0) return out;
  const Product& sp = catalog_[seed];
  const auto& own = adjacency_[static_cast<size_t>(seed)];

  if (options_.reference) {
    std::vector<const Edge*> edges;
    for (const auto& e : own) edges.push_back(&e);
    std::stable_sort(edges.begin(), edges.end(), [&](const Edge* x, const Edge* y) {
      return pairs_.pairs[static_cast<size_t>(x->pair)].score >
             pairs_.pairs[static_cast<size_t>(y->pair)].score;
    });
    for (const Edge* e : edges) {
      if (static_cast<int>(out.size()) >= k) break;
      const Pair& p = pairs_.pairs[static_cast<size_t>(e->pair)];
      Recommendation r;
      r.product = e->other;
      r.score = p.score;
      r.slot = catalog_[e->other].slot;
      r.support = p.count;
      r.lookbooks = pairs_.lookbooks_of(p);
      r.source = "reference";
      if (options_.with_reasons) {
        r.reason = describe_recommendation(catalog_[seed], catalog_[e->other], r.source, r.support,
                                           "", 0, slots_);
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  // The candidates, found through a per-thread index by product (a hash map here cost a fifth of
  // the recommend stage): index[b] is b's position in `cands`, or -1. Four bytes per catalog
  // product and thread; the entries used are reset on the way out.
  struct Cand {
    std::int32_t product = -1;
    std::int32_t via = -1;
    std::int32_t own_pair = -1;
    std::int32_t via_pair = -1;
    double own = 0;       // S(seed, b)
    double smooth = 0;    // sum_p w S(p, b)
    double best_via = 0;  // the largest single neighbour contribution
  };
  struct Scratch {
    std::vector<std::int32_t> index;
    std::vector<Cand> cands;
  };
  thread_local Scratch scratch;
  if (scratch.index.size() < static_cast<size_t>(catalog_.size())) {
    scratch.index.resize(static_cast<size_t>(catalog_.size()), -1);
  }
  struct Reset {
    Scratch& s;
    ~Reset() {
      for (const Cand& c : s.cands) s.index[static_cast<size_t>(c.product)] = -1;
      s.cands.clear();
    }
  } reset{scratch};
  auto& cands = scratch.cands;
  auto cand = [&](std::int32_t b) -> Cand& {
    std::int32_t& i = scratch.index[static_cast<size_t>(b)];
    if (i < 0) {
      i = static_cast<std::int32_t>(cands.size());
      cands.push_back(Cand{});
      cands.back().product = b;
    }
    return cands[static_cast<size_t>(i)];
  };
  for (const auto& e : own) {
    Cand& c = cand(e.other);
    c.own = e.score;
    c.own_pair = e.pair;
  }
  double z = 0;
  if (options_.neighbour_weight > 0) {
    for (const auto& n : neighbours_.of(seed)) {
      z += n.weight;
      for (const auto& e : adjacency_[static_cast<size_t>(n.product)]) {
        if (e.other == seed) continue;
        const double contrib = n.weight * e.score;
        Cand& c = cand(e.other);
        c.smooth += contrib;
        if (contrib > c.best_via) {
          c.best_via = contrib;
          c.via = n.product;
          c.via_pair = e.pair;
        }
      }
    }
  }
  const auto votes = feedback_.of(seed);
  for (const auto& [other, net] : votes) {
    if (net > 0) cand(other);
  }

  struct Scored {
    std::int32_t product;
    bool tier;  // has its own pair (or thumbs up)
    double score;
  };
  std::vector<Scored> ranked;
  ranked.reserve(cands.size());
  for (const Cand& c : cands) {
    const std::int32_t b = c.product;
    const Product& bp = catalog_[b];
    if (!compiled_.compatible(seed, b) || !rules_.price_ok(sp, bp)) continue;
    const auto v = votes.find(b);
    const int net = v == votes.end() ? 0 : v->second;
    if (options_.feedback_drop && net < 0) continue;
    double s = c.own;
    if (z > 0) s += options_.neighbour_weight * c.smooth / z;
    if (options_.attribute_weight > 0) s += options_.attribute_weight * affinity(seed, b);
    s += options_.feedback_boost * net;
    ranked.push_back({b, c.own_pair >= 0 || net > 0, s});
  }
  const auto before = [&](const Scored& x, const Scored& y) {
    if (x.tier != y.tier) return x.tier;
    if (x.score != y.score) return x.score > y.score;
    return catalog_[x.product].id < catalog_[y.product].id;
  };
  // The order is total (ties by id), so sorting only a head gives the full sort's first entries;
  // the rest is sorted only if the caps below reject enough of the head to need them.
  size_t sorted = ranked.size();
  if (!options_.slot_rounds && ranked.size() > 4 * static_cast<size_t>(k) + 16) {
    sorted = 4 * static_cast<size_t>(k) + 16;
    const auto head = ranked.begin() + static_cast<std::ptrdiff_t>(sorted);
    std::nth_element(ranked.begin(), head, ranked.end(), before);
    std::sort(ranked.begin(), head, before);
  } else {
    std::sort(ranked.begin(), ranked.end(), before);
  }
  if (options_.slot_rounds) {
    // An outfit has one item per slot: within each tier, the best of every slot comes before the
    // second best of any (two look-alikes matched to one garment are alternatives, not two items).
    std::unordered_map<std::string, int> seen;
    std::vector<int> round(ranked.size());
    for (size_t i = 0; i < ranked.size(); ++i) {
      if (i > 0 && ranked[i].tier != ranked[i - 1].tier) seen.clear();
      round[i] = seen[catalog_[ranked[i].product].slot]++;
    }
    std::vector<size_t> order(ranked.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      if (ranked[x].tier != ranked[y].tier) return ranked[x].tier;
      return round[x] < round[y];
    });
    std::vector<Scored> reordered;
    reordered.reserve(ranked.size());
    for (auto i : order) reordered.push_back(ranked[i]);
    ranked = std::move(reordered);
  }

  CompiledCaps caps(rules_, compiled_);
  for (size_t i = 0; i < ranked.size(); ++i) {
    if (static_cast<int>(out.size()) >= k) break;
    if (i == sorted) {
      std::sort(ranked.begin() + static_cast<std::ptrdiff_t>(i), ranked.end(), before);
      sorted = ranked.size();
    }
    const Scored& s = ranked[i];
    if (!caps.admit(s.product)) continue;
    const Product& bp = catalog_[s.product];
    const Cand& c = cands[static_cast<size_t>(scratch.index[static_cast<size_t>(s.product)])];
    Recommendation r;
    r.product = s.product;
    r.score = s.score;
    r.slot = bp.slot;
    const auto v = votes.find(s.product);
    r.feedback = v == votes.end() ? 0 : v->second;
    if (c.own_pair >= 0) {
      const Pair& p = pairs_.pairs[static_cast<size_t>(c.own_pair)];
      r.source = "pairs";
      r.support = p.count;
      r.lookbooks = pairs_.lookbooks_of(p);
    } else if (c.via_pair >= 0) {
      const Pair& p = pairs_.pairs[static_cast<size_t>(c.via_pair)];
      r.source = "neighbours";
      r.via = c.via;
      r.support = p.count;
      r.lookbooks = pairs_.lookbooks_of(p);
    } else {
      r.source = "feedback";
    }
    if (options_.with_reasons) {
      r.reason = describe_recommendation(sp, bp, r.source, r.support,
                                         r.via >= 0 ? catalog_[r.via].id : std::string(),
                                         r.feedback, slots_);
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace ensemble::recommend
