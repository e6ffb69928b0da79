#include "ensemble/recommend/recommend_store.h"

#include <unordered_map>

#include "ensemble/util/error.h"

namespace ensemble::recommend {

std::int64_t write_pairs(store::Database& db, const PairTable& t, const Catalog& catalog,
                         std::int64_t run_id) {
  db.prepare("DELETE FROM pairs WHERE scoring = ?").bind(1, t.scoring).run();
  auto ins = db.prepare(
      "INSERT INTO pairs (scoring, product_a, product_b, count, weight, score, evidence, run_id)"
      " VALUES (?,?,?,?,?,?,?,?)");
  std::int64_t n = 0;
  std::string ev;
  for (const auto& p : t.pairs) {
    // Ids are compared as stored text: product_a < product_b is a table constraint.
    const std::string& a = catalog[p.a].id;
    const std::string& b = catalog[p.b].id;
    ev.assign("[");
    for (std::int32_t i = 0; i < p.count; ++i) {
      if (i > 0) ev += ',';
      ev += nlohmann::json(t.lookbook_ids[static_cast<size_t>(t.evidence[p.evidence_begin + i])]).dump();
    }
    ev += ']';
    ins.bind(1, t.scoring).bind(2, a < b ? a : b).bind(3, a < b ? b : a).bind(4, p.count)
        .bind(5, static_cast<double>(p.weight)).bind(6, static_cast<double>(p.score)).bind(7, ev)
        .bind(8, run_id);
    ins.run();
    ins.reset();
    ++n;
  }
  return n;
}

PairTable read_pairs(store::Database& db, const std::string& scoring, const Catalog& catalog) {
  PairTable t;
  t.scoring = scoring;
  std::unordered_map<std::string, std::int32_t> lb_index;
  auto st = db.prepare(
      "SELECT product_a, product_b, count, weight, score, evidence FROM pairs WHERE scoring = ?"
      " ORDER BY product_a, product_b");
  st.bind(1, scoring);
  while (st.step()) {
    std::int32_t a = catalog.find(st.column_text(0));
    std::int32_t b = catalog.find(st.column_text(1));
    if (a < 0 || b < 0 || a == b) continue;
    Pair p;
    p.a = std::min(a, b);
    p.b = std::max(a, b);
    p.weight = static_cast<float>(st.column_double(3));
    p.score = static_cast<float>(st.column_double(4));
    p.evidence_begin = static_cast<std::uint32_t>(t.evidence.size());
    const auto ev = nlohmann::json::parse(st.column_text(5), nullptr, false);
    if (ev.is_array()) {
      for (const auto& id : ev) {
        if (!id.is_string()) continue;
        const auto name = id.get<std::string>();
        auto [it, fresh] = lb_index.try_emplace(name, static_cast<std::int32_t>(t.lookbook_ids.size()));
        if (fresh) t.lookbook_ids.push_back(name);
        t.evidence.push_back(it->second);
      }
    }
    p.count = static_cast<std::int32_t>(t.evidence.size() - p.evidence_begin);
    t.pairs.push_back(p);
  }
  std::sort(t.pairs.begin(), t.pairs.end(), [](const Pair& x, const Pair& y) {
    return x.a != y.a ? x.a < y.a : x.b < y.b;
  });
  t.lookbooks = static_cast<std::int32_t>(t.lookbook_ids.size());
  return t;
}

void write_slot_model(store::Database& db, const std::string& scoring, const SlotModel& model,
                      std::int64_t run_id) {
  db.prepare("DELETE FROM slot_stats WHERE scoring = ?").bind(1, scoring).run();
  auto ins = db.prepare(
      "INSERT INTO slot_stats (scoring, seed_slot, slot, probability, support, source, run_id)"
      " VALUES (?,?,?,?,?,?,?)");
  for (const auto& r : model.rows()) {
    ins.bind(1, scoring).bind(2, r.seed).bind(3, r.slot).bind(4, r.probability)
        .bind(5, r.support).bind(6, r.source).bind(7, run_id);
    ins.run();
    ins.reset();
  }
}

namespace {

// The rows of a "SELECT seed_slot, slot, probability, support, source FROM slot_stats ..." query.
std::vector<SlotRow> slot_rows(store::Statement& st) {
  std::vector<SlotRow> rows;
  while (st.step()) {
    rows.push_back({st.column_text(0), st.column_text(1), st.column_double(2), st.column_double(3),
                    st.column_text(4)});
  }
  return rows;
}

}  // namespace

SlotModel read_slot_model(store::Database& db, const std::string& scoring) {
  auto st = db.prepare(
      "SELECT seed_slot, slot, probability, support, source FROM slot_stats WHERE scoring = ?");
  st.bind(1, scoring);
  const std::vector<SlotRow> rows = slot_rows(st);
  return rows.empty() ? SlotModel::rules() : SlotModel::from_rows(rows);
}

SlotModel read_slot_model_for(store::Database& db, const std::string& scoring,
                              const std::string& seed_slot) {
  auto st = db.prepare(
      "SELECT seed_slot, slot, probability, support, source FROM slot_stats WHERE scoring = ?"
      " AND seed_slot = ?");
  st.bind(1, scoring).bind(2, seed_slot);
  const std::vector<SlotRow> rows = slot_rows(st);
  if (rows.empty()) {
    // No table at all means the hand rules (as read_slot_model); a table without this seed, none.
    auto any = db.prepare("SELECT 1 FROM slot_stats WHERE scoring = ? LIMIT 1");
    any.bind(1, scoring);
    if (!any.step()) return SlotModel::rules();
  }
  return SlotModel::from_rows(rows);
}

std::string recommendation_evidence(const Recommendation& r, const Catalog& catalog,
                                    const std::vector<std::string>& lookbook_ids) {
  // Written by hand: this runs for every stored recommendation.
  auto quoted = [](const std::string& x) { return nlohmann::json(x).dump(); };
  std::string ev = "{\"support\":";
  ev += std::to_string(r.support);
  ev += ",\"lookbooks\":[";
  for (size_t j = 0; j < r.lookbooks.size() && j < 10; ++j) {
    if (j > 0) ev += ',';
    ev += quoted(lookbook_ids[static_cast<size_t>(r.lookbooks[j])]);
  }
  ev += "],\"source\":" + quoted(r.source);
  if (r.via >= 0) ev += ",\"via\":" + quoted(catalog[r.via].id);
  if (r.feedback != 0) ev += ",\"feedback\":" + std::to_string(r.feedback);
  ev += '}';
  return ev;
}

namespace {

std::int64_t insert_list(store::Statement& ins, const Catalog& catalog, std::int32_t product,
                         const std::vector<Recommendation>& list,
                         const std::vector<std::string>& lookbook_ids, std::int64_t run_id) {
  int rank = 0;
  for (const auto& r : list) {
    ins.bind(1, catalog[product].id).bind(2, ++rank).bind(3, catalog[r.product].id).bind(4, r.slot)
        .bind(5, r.score).bind(6, recommendation_evidence(r, catalog, lookbook_ids)).bind(7, run_id);
    ins.run();
  }
  return rank;
}

store::Statement insert_recommendation(store::Database& db) {
  return db.prepare(
      "INSERT INTO recommendations (product_id, rank, rec_product_id, slot, score, evidence, run_id)"
      " VALUES (?,?,?,?,?,?,?)");
}

}  // namespace

std::int64_t write_recommendations(store::Database& db, const Catalog& catalog,
                                   const std::vector<std::vector<Recommendation>>& lists,
                                   const std::vector<std::string>& lookbook_ids,
                                   std::int64_t run_id) {
  db.exec("DELETE FROM recommendations");
  auto ins = insert_recommendation(db);
  std::int64_t n = 0;
  for (size_t i = 0; i < lists.size(); ++i) {
    n += insert_list(ins, catalog, static_cast<std::int32_t>(i), lists[i], lookbook_ids, run_id);
  }
  return n;
}

std::int64_t replace_recommendations(store::Database& db, const Catalog& catalog,
                                     const std::vector<std::vector<Recommendation>>& lists,
                                     const std::vector<std::int32_t>& products,
                                     const std::vector<std::string>& lookbook_ids,
                                     std::int64_t run_id) {
  auto del = db.prepare("DELETE FROM recommendations WHERE product_id = ?");
  auto ins = insert_recommendation(db);
  std::int64_t n = 0;
  for (const std::int32_t p : products) {
    del.bind(1, catalog[p].id);
    del.run();
    n += insert_list(ins, catalog, p, lists[static_cast<size_t>(p)], lookbook_ids, run_id);
  }
  return n;
}

std::optional<StoredState> read_state(store::Database& db, const std::string& stage,
                                      const std::string& item) {
  auto st = db.prepare(
      "SELECT fingerprint, detail, run_id FROM stage_items WHERE stage = ? AND item_id = ?");
  st.bind(1, stage).bind(2, item);
  if (!st.step() || st.column_is_null(1)) return std::nullopt;
  StoredState s;
  s.fingerprint = st.column_text(0);
  s.value = nlohmann::json::parse(st.column_text(1), nullptr, false);
  s.run_id = st.column_int(2);
  if (s.value.is_discarded()) return std::nullopt;
  return s;
}

void write_state(store::Database& db, const std::string& stage, const std::string& item,
                 const std::string& fingerprint, const nlohmann::json& value, std::int64_t run_id) {
  db.prepare(
        "INSERT INTO stage_items (stage, item_id, fingerprint, status, detail, run_id)"
        " VALUES (?, ?, ?, 'ok', ?, ?) ON CONFLICT(stage, item_id) DO UPDATE SET"
        " fingerprint = excluded.fingerprint, status = excluded.status, detail = excluded.detail,"
        " run_id = excluded.run_id")
      .bind(1, stage).bind(2, item).bind(3, fingerprint).bind(4, value.dump()).bind(5, run_id)
      .run();
}

nlohmann::json StoredRecommendation::to_json() const {
  nlohmann::json j = {{"product", product}, {"score", score},     {"slot", slot},
                      {"support", support}, {"evidence", evidence}, {"source", source},
                      {"reason", reason}};
  if (!via.empty()) j["via"] = via;
  if (feedback != 0) j["feedback"] = feedback;
  if (!title.empty()) j["title"] = title;
  if (!category.empty()) j["category"] = category;
  if (!image.empty()) j["image"] = image;
  return j;
}

std::vector<StoredRecommendation> read_recommendations(store::Database& db,
                                                       const std::string& product_id, int limit) {
  std::vector<StoredRecommendation> out;
  auto st = db.prepare(
      "SELECT r.rec_product_id, r.slot, r.score, r.evidence, p.title, p.category, p.image_sha,"
      " p.image_ext FROM recommendations r LEFT JOIN products p ON p.id = r.rec_product_id"
      " WHERE r.product_id = ? ORDER BY r.rank LIMIT ?");
  st.bind(1, product_id).bind(2, limit);
  while (st.step()) {
    StoredRecommendation r;
    r.product = st.column_text(0);
    r.slot = st.column_is_null(1) ? "" : st.column_text(1);
    r.score = st.column_double(2);
    if (!st.column_is_null(4)) {
      r.title = st.column_text(4);
      r.category = st.column_text(5);
      r.image_sha = st.column_text(6);
      r.image_ext = st.column_text(7);
    }
    const auto ev = nlohmann::json::parse(st.column_text(3), nullptr, false);
    if (ev.is_object()) {
      r.support = ev.value("support", 0);
      r.source = ev.value("source", "");
      r.via = ev.value("via", "");
      r.feedback = ev.value("feedback", 0);
      r.reason = ev.value("reason", "");
      if (ev.contains("lookbooks") && ev["lookbooks"].is_array()) {
        for (const auto& l : ev["lookbooks"]) {
          if (l.is_string()) r.evidence.push_back(l.get<std::string>());
        }
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace ensemble::recommend
