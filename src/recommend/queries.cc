#include "ensemble/recommend/queries.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "ensemble/recommend/feedback.h"
#include "ensemble/recommend/outfit.h"
#include "ensemble/recommend/recommend_store.h"
#include "ensemble/recommend/rules.h"
#include "ensemble/util/error.h"
#include "recommend/plain_json.h"

namespace ensemble::recommend {

namespace {

// The product's category; Error(kNotFound) for an unknown product.
std::string require_product(store::Database& db, const std::string& id) {
  auto st = db.prepare("SELECT category FROM products WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) throw Error(ErrorCode::kNotFound, "unknown product " + id);
  return st.column_text(0);
}

struct LastRun {
  bool exists = false;
  std::int64_t feedback_through = 0;
};

LastRun last_recommend_run(store::Database& db) {
  LastRun r;
  // SQLite reads the one field (the stats are parsed per request otherwise).
  auto st = db.prepare(
      "SELECT CASE WHEN json_valid(stats_json) THEN json_extract(stats_json, '$.feedback_through')"
      " END FROM runs WHERE stage = 'recommend' AND status IN ('ok','partial')"
      " ORDER BY id DESC LIMIT 1");
  if (!st.step()) return r;
  r.exists = true;
  if (!st.column_is_null(0)) r.feedback_through = st.column_int(0);
  return r;
}

// Net votes on pairs {product, other} counting feedback rows with id <= upto (all when upto < 0).
std::map<std::string, int> nets_of(store::Database& db, const std::string& product,
                                   std::int64_t upto) {
  std::map<std::pair<std::string, std::string>, int> latest;  // (other, user) -> vote
  auto st = db.prepare(
      "SELECT product_id, other_product_id, user, vote FROM feedback"
      " WHERE (product_id = ?1 OR other_product_id = ?1) AND (?2 < 0 OR id <= ?2) ORDER BY id");
  st.bind(1, product).bind(2, upto);
  while (st.step()) {
    const std::string other = st.column_text(0) == product ? st.column_text(1) : st.column_text(0);
    if (other == product) continue;
    latest[{other, st.column_text(2)}] = static_cast<int>(st.column_int(3));
  }
  std::map<std::string, int> out;
  for (const auto& [k, v] : latest) out[k.first] += v;
  return out;
}

Product load_product(store::Database& db, const std::string& id, const SlotTable& slots) {
  auto st = db.prepare("SELECT id, category, attributes FROM products WHERE id = ?");
  st.bind(1, id);
  Product p;
  if (!st.step()) return p;
  p.id = st.column_text(0);
  p.category = st.column_text(1);
  p.slot = slots.slot_of(p.category);
  p.attributes = read_string_map(st.column_text(2));
  Catalog one;
  one.add(p, slots);  // parses the price
  return one[0];
}

std::string empty_reason(store::Database& db, const std::string& product, bool ran) {
  if (!ran) return "the recommend stage has not run yet (ensemble run)";
  auto st = db.prepare("SELECT detail FROM stage_items WHERE stage = 'recommend' AND item_id = ?");
  st.bind(1, product);
  if (st.step() && !st.column_is_null(0)) return st.column_text(0);
  return "no lookbook evidence and no visual neighbours";
}

// Compatibility from the stored lists (both directions), loaded lazily.
class StoredScorer : public PairScorer {
 public:
  StoredScorer(store::Database& db, const Catalog& catalog) : db_(db), catalog_(catalog) {}
  double compat(std::int32_t a, std::int32_t b) const override {
    return std::max(entry_score(a, b), entry_score(b, a));
  }
  std::vector<std::int32_t> candidates(std::int32_t p, const std::string& slot) const override {
    std::vector<std::int32_t> out;
    for (const auto& r : list(p)) {
      const std::int32_t i = catalog_.find(r.product);
      if (i >= 0 && catalog_[i].slot == slot) out.push_back(i);
    }
    return out;
  }
  const StoredRecommendation* entry(std::int32_t a, std::int32_t b) const {
    for (const auto& r : list(a)) {
      if (r.product == catalog_[b].id) return &r;
    }
    return nullptr;
  }

 private:
  double entry_score(std::int32_t a, std::int32_t b) const {
    const auto* e = entry(a, b);
    return e == nullptr ? 0.0 : e->score;
  }
  const std::vector<StoredRecommendation>& list(std::int32_t p) const {
    auto it = cache_.find(p);
    if (it == cache_.end()) it = cache_.emplace(p, read_recommendations(db_, catalog_[p].id)).first;
    return it->second;
  }
  store::Database& db_;
  const Catalog& catalog_;
  mutable std::unordered_map<std::int32_t, std::vector<StoredRecommendation>> cache_;
};

}  // namespace

nlohmann::json recommend_query(store::Store& store, const config::Config& config,
                               const std::string& product_id, int k) {
  auto& db = store.db();
  const std::string seed_category = require_product(db, product_id);
  if (k < 1) throw Error(ErrorCode::kInvalidArgument, "--k must be at least 1");
  const LastRun run = last_recommend_run(db);
  // Feedback since the last recommend run: apply the change in net votes. No vote at all since
  // that run (the common case, and one indexed lookup) means no change for any product.
  std::int64_t newest_vote = 0;
  {
    auto st = db.prepare("SELECT coalesce(max(id), 0) FROM feedback");
    st.step();
    newest_vote = st.column_int(0);
  }
  std::map<std::string, int> now, then;
  if (newest_vote > run.feedback_through) {
    now = nets_of(db, product_id, -1);
    then = nets_of(db, product_id, run.feedback_through);
  }
  // Without new votes the stored order stands: read the first k only.
  std::vector<StoredRecommendation> list =
      read_recommendations(db, product_id, now == then ? k : -1);

  const double boost = config.get_double("recommend.feedback_boost");
  const bool drop = config.get_bool("recommend.feedback_drop");
  const SlotTable slots = SlotTable::with_overrides(config.get_list("cooccur.slot_map"));
  std::map<std::string, int> delta;
  for (const auto& [other, n] : now) delta[other] = n - (then.count(other) ? then.at(other) : 0);
  for (const auto& [other, n] : then) {
    if (!now.count(other)) delta[other] = -n;
  }
  bool changed = false;
  for (const auto& [other, d] : delta) {
    if (d == 0) continue;
    changed = true;
    const int net = now.count(other) ? now.at(other) : 0;
    auto it = std::find_if(list.begin(), list.end(),
                           [&](const StoredRecommendation& r) { return r.product == other; });
    if (drop && net < 0) {
      if (it != list.end()) list.erase(it);
      continue;
    }
    if (it != list.end()) {
      it->score += boost * d;
      it->feedback = net;
    } else if (net > 0) {
      const Product seed = load_product(db, product_id, slots);
      const Product cand = load_product(db, other, slots);
      if (cand.id.empty() || !MerchRules::from_config(config).compatible(seed, cand)) continue;
      StoredRecommendation r;
      r.product = other;
      r.slot = cand.slot;
      r.score = boost * net;
      r.source = "feedback";
      r.feedback = net;
      r.reason = "recommended by shoppers (" + std::to_string(net) + " net thumbs up)";
      list.push_back(std::move(r));
    }
  }
  if (changed) {
    std::stable_sort(list.begin(), list.end(), [](const StoredRecommendation& a,
                                                  const StoredRecommendation& b) {
      return a.score > b.score;
    });
  }
  if (static_cast<int>(list.size()) > k) list.resize(static_cast<size_t>(k));
  if (!list.empty()) {
    // A reason needs the two slots only: the seed's from its category, the recommendation's as
    // stored with it (the stage wrote it under the same slot table).
    Product seed, rec;
    seed.id = product_id;
    seed.category = seed_category;
    seed.slot = slots.slot_of(seed_category);
    const SlotModel model =
        read_slot_model_for(db, config.get_string("cooccur.scoring"), seed.slot);
    for (auto& r : list) {
      if (!r.reason.empty()) continue;
      rec.id = r.product;
      rec.slot = r.slot;
      r.reason = describe_recommendation(seed, rec, r.source, r.support, r.via, r.feedback, model);
    }
  }
  for (auto& r : list) {
    if (!r.image_sha.empty()) r.image = store.media().path_for(r.image_sha, r.image_ext).string();
  }
  nlohmann::json out = {{"product", product_id},
                        {"scoring", config.get_string("cooccur.scoring")},
                        {"recommendations", nlohmann::json::array()}};
  for (const auto& r : list) out["recommendations"].push_back(r.to_json());
  if (list.empty()) out["reason"] = empty_reason(db, product_id, run.exists);
  return out;
}

namespace {

// The outfit's items as JSON, with each item's evidence: the lookbooks of its stored pairs with the
// items chosen before it.
void write_outfit(const Outfit& outfit, const Catalog& catalog, const StoredScorer& scorer,
                  nlohmann::json& out) {
  out["plan"] = outfit.plan_source;
  out["outfit"] = nlohmann::json::array();
  out["unfilled"] = nlohmann::json::array();
  std::vector<std::int32_t> chosen;
  for (const auto& item : outfit.items) {
    if (item.product < 0) {
      out["unfilled"].push_back({{"slot", item.slot}, {"reason", item.reason}});
      continue;
    }
    nlohmann::json evidence = nlohmann::json::array();
    for (auto c : chosen) {
      const auto* e = scorer.entry(c, item.product);
      if (e == nullptr) e = scorer.entry(item.product, c);
      if (e == nullptr) continue;
      for (const auto& l : e->evidence) {
        if (std::find(evidence.begin(), evidence.end(), l) == evidence.end()) evidence.push_back(l);
      }
    }
    out["outfit"].push_back({{"product", catalog[item.product].id},
                             {"slot", item.slot},
                             {"score", item.score},
                             {"probability", item.probability},
                             {"reason", item.reason},
                             {"evidence", evidence}});
    chosen.push_back(item.product);
  }
}

}  // namespace

nlohmann::json complete_query(store::Store& store, const config::Config& config,
                              const std::string& product_id) {
  auto& db = store.db();
  require_product(db, product_id);
  const SlotTable slots = SlotTable::with_overrides(config.get_list("cooccur.slot_map"));
  const Catalog catalog = Catalog::load(db, slots);
  const std::int32_t seed = catalog.find(product_id);
  const MerchRules rules = MerchRules::from_config(config);
  const SlotModel model = read_slot_model(db, config.get_string("cooccur.scoring"));
  const StoredScorer scorer(db, catalog);
  const Outfit outfit = build_outfit(seed, catalog, scorer, model, rules,
                                     config.get_double("recommend.slot_threshold"));
  nlohmann::json out = {{"product", product_id}};
  write_outfit(outfit, catalog, scorer, out);
  if (outfit.items.size() == 1) out["reason"] = "no slot is planned for a " + catalog[seed].slot;
  return out;
}

nlohmann::json complete_items_query(store::Store& store, const config::Config& config,
                                    const std::vector<std::string>& product_ids) {
  if (product_ids.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "complete_items_query needs at least one product");
  }
  auto& db = store.db();
  const SlotTable slots = SlotTable::with_overrides(config.get_list("cooccur.slot_map"));
  const Catalog catalog = Catalog::load(db, slots);
  std::vector<std::int32_t> fixed;
  for (const auto& id : product_ids) {
    const std::int32_t i = catalog.find(id);
    if (i < 0) throw Error(ErrorCode::kNotFound, "unknown product " + id);
    if (std::find(fixed.begin(), fixed.end(), i) == fixed.end()) fixed.push_back(i);
  }
  const MerchRules rules = MerchRules::from_config(config);
  const SlotModel model = read_slot_model(db, config.get_string("cooccur.scoring"));
  const StoredScorer scorer(db, catalog);
  const Outfit outfit = complete_outfit(fixed, catalog, scorer, model, rules,
                                        config.get_double("recommend.slot_threshold"));
  nlohmann::json out = nlohmann::json::object();
  write_outfit(outfit, catalog, scorer, out);
  return out;
}

nlohmann::json slots_query(store::Store& store, const config::Config& config) {
  const std::string scoring = config.get_string("cooccur.scoring");
  auto& db = store.db();
  auto st = db.prepare("SELECT count(*) FROM slot_stats WHERE scoring = ?");
  st.bind(1, scoring);
  st.step();
  const bool stored = st.column_int(0) > 0;
  const SlotModel model = read_slot_model(db, scoring);
  nlohmann::json out = {{"scoring", scoring}, {"slots", nlohmann::json::array()}};
  for (const auto& seed : model.seeds()) {
    nlohmann::json comps = nlohmann::json::array();
    for (const auto& c : model.completions(seed)) {
      comps.push_back({{"slot", c.slot}, {"probability", c.probability}});
    }
    out["slots"].push_back({{"seed", seed},
                            {"source", model.source(seed)},
                            {"support", model.support(seed)},
                            {"completions", comps}});
  }
  if (!stored) out["note"] = "the cooccur stage has not run yet: hand rules shown";
  return out;
}

}  // namespace ensemble::recommend
