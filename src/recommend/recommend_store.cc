#include "ensemble/recommend/recommend_store.h"

#include <charconv>
#include <cmath>
#include <string_view>
#include <unordered_map>

#include "ensemble/util/error.h"
#include "recommend/plain_json.h"

namespace ensemble::recommend {

namespace {

// A JSON string. Bytes from 0x80 up pass through: ids are UTF-8 (imports check it).
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      static const char* kHex = "0123456789abcdef";
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  out += '"';
}

void append_integer(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_number(std::string& out, double v) {
  char buf[32];
  const auto r = std::isfinite(v) ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 7)
                                  : std::to_chars(buf, buf + sizeof buf, 0);
  out.append(buf, r.ptr);
}

}  // namespace

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
    ev.clear();
    ev.push_back('[');
    for (std::int32_t i = 0; i < p.count; ++i) {
      if (i > 0) ev += ',';
      append_json_string(ev, t.lookbook_ids[static_cast<size_t>(t.evidence[p.evidence_begin + i])]);
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
  std::vector<std::string_view> names;
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
    auto add = [&](const std::string& name) {
      auto [it, fresh] = lb_index.try_emplace(name, static_cast<std::int32_t>(t.lookbook_ids.size()));
      if (fresh) t.lookbook_ids.push_back(name);
      t.evidence.push_back(it->second);
    };
    const std::string text = st.column_text(5);
    if (parse_plain_string_array(text, names)) {
      for (const std::string_view name : names) add(std::string(name));
    } else if (const auto ev = nlohmann::json::parse(text, nullptr, false); ev.is_array()) {
      for (const auto& id : ev) {
        if (id.is_string()) add(id.get<std::string>());
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


EncodedList encode_list(const std::vector<Recommendation>& list, const Catalog& catalog,
                        const std::vector<std::string>& lookbook_ids) {
  // Written by hand: this runs for every stored recommendation (860,000 at reference scale).
  EncodedList out;
  out.n = static_cast<std::int32_t>(list.size());
  std::string& s = out.items;
  s.reserve(list.size() * 72 + 2);
  s += '[';
  for (size_t i = 0; i < list.size(); ++i) {
    const Recommendation& r = list[i];
    if (i > 0) s.push_back(',');
    s.push_back('[');
    append_json_string(s, catalog[r.product].id);
    s += ',';
    append_json_string(s, r.slot);
    s += ',';
    append_number(s, r.score);
    s += ',';
    append_integer(s, r.support);
    s += ",[";
    for (size_t j = 0; j < r.lookbooks.size() && j < kStoredLookbooks; ++j) {
      if (j > 0) s += ',';
      append_json_string(s, lookbook_ids[static_cast<size_t>(r.lookbooks[j])]);
    }
    s += "],";
    append_json_string(s, r.source);
    s += ',';
    if (r.via >= 0) {
      append_json_string(s, catalog[r.via].id);
    } else {
      s += "null";
    }
    s += ',';
    append_integer(s, r.feedback);
    s += ']';
  }
  s += ']';
  return out;
}

std::int64_t write_lists(store::Database& db, const Catalog& catalog,
                         const std::vector<EncodedList>& lists,
                         const std::vector<std::int32_t>& products, std::int64_t run_id) {
  // In place: an upsert rewrites a product's row where it lies, without freeing and reallocating
  // the table's pages as delete-then-insert would.
  auto put = db.prepare(
      "INSERT INTO recommendation_lists (product_id, n, items, run_id) VALUES (?,?,?,?)"
      " ON CONFLICT(product_id) DO UPDATE SET n = excluded.n, items = excluded.items,"
      " run_id = excluded.run_id");
  auto del = db.prepare("DELETE FROM recommendation_lists WHERE product_id = ?");
  std::int64_t n = 0;
  for (const std::int32_t p : products) {
    const EncodedList& l = lists[static_cast<size_t>(p)];
    if (l.n == 0) {
      del.bind(1, catalog[p].id);
      del.run();
      continue;
    }
    put.bind(1, catalog[p].id).bind(2, l.n).bind(3, l.items).bind(4, run_id);
    put.run();
    n += l.n;
  }
  return n;
}

StoredCounts stored_counts(store::Database& db) {
  auto st = db.prepare("SELECT coalesce(sum(n), 0), count(*) FROM recommendation_lists");
  st.step();
  return {st.column_int(0), st.column_int(1)};
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

namespace {

// The entries of a stored list as encode_list writes them, ["id","slot",score,support,["lb",...],
// "source","via"|null,feedback], read with the plain cursor until `limit` of them are joined
// (limit < 0: all). False when the text is not in that plain form (then `out` is unspecified).
template <typename Join>
bool read_plain_list(std::string_view items, int limit, Join& join, std::vector<StoredRecommendation>& out) {
  PlainJsonCursor c(items);
  std::vector<std::string_view> lookbooks;
  if (!c.punct('[')) return false;
  if (c.punct(']')) return c.at_end();
  do {
    if (limit >= 0 && static_cast<int>(out.size()) >= limit) return true;
    StoredRecommendation r;
    std::string_view product, slot, source, via;
    std::int64_t support = 0, feedback = 0;
    if (!c.punct('[') || !c.string(product) || !c.punct(',') || !c.string(slot) || !c.punct(',') ||
        !c.number(r.score) || !c.punct(',') || !c.integer(support) || !c.punct(',') ||
        !c.string_array(lookbooks)) {
      return false;
    }
    r.evidence.assign(lookbooks.begin(), lookbooks.end());
    if (!c.punct(',') || !c.string(source) || !c.punct(',') || !(c.null() || c.string(via)) ||
        !c.punct(',') || !c.integer(feedback) || !c.punct(']')) {
      return false;
    }
    r.product = product;
    if (!join(r)) continue;
    r.slot = slot;
    r.support = static_cast<std::int32_t>(support);
    r.source = source;
    r.via = via;
    r.feedback = static_cast<int>(feedback);
    out.push_back(std::move(r));
  } while (c.punct(','));
  return c.punct(']') && c.at_end();
}

}  // namespace

std::vector<StoredRecommendation> read_recommendations(store::Database& db,
                                                       const std::string& product_id, int limit) {
  std::vector<StoredRecommendation> out;
  std::string items;
  {
    auto st = db.prepare("SELECT items FROM recommendation_lists WHERE product_id = ?");
    st.bind(1, product_id);
    if (!st.step()) return out;
    items = st.column_text(0);
  }
  // The list is parsed here and only the entries returned are joined with the catalog (one
  // json_each join read every entry and sorted them: twice the work of a 10-item request). The
  // plain reader reads entries only as far as needed; a list it cannot read is read again whole by
  // nlohmann (same result).
  auto brief = db.prepare("SELECT title, category, image_sha, image_ext FROM products WHERE id = ?");
  // Fills the catalog fields; false when the product has left the catalog (its pairs went with
  // it; the next recommend run drops it from the list), and the entry is skipped.
  auto join = [&](StoredRecommendation& r) {
    brief.reset();
    brief.bind(1, r.product);
    if (!brief.step()) return false;
    r.title = brief.column_text(0);
    r.category = brief.column_text(1);
    r.image_sha = brief.column_is_null(2) ? "" : brief.column_text(2);
    r.image_ext = brief.column_is_null(3) ? "" : brief.column_text(3);
    return true;
  };
  if (read_plain_list(items, limit, join, out)) return out;
  out.clear();
  const auto list = nlohmann::json::parse(items, nullptr, false);
  if (!list.is_array()) {
    throw Error(ErrorCode::kIo, "the stored recommendation list of " + product_id + " is not JSON");
  }
  auto text = [](const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : std::string(); };
  for (const auto& e : list) {
    if (limit >= 0 && static_cast<int>(out.size()) >= limit) break;
    if (!e.is_array() || e.size() < 8 || !e[0].is_string()) continue;
    StoredRecommendation r;
    r.product = e[0].get<std::string>();
    if (!join(r)) continue;
    r.slot = text(e[1]);
    r.score = e[2].is_number() ? e[2].get<double>() : 0.0;
    r.support = e[3].is_number_integer() ? e[3].get<std::int32_t>() : 0;
    if (e[4].is_array()) {
      for (const auto& l : e[4]) {
        if (l.is_string()) r.evidence.push_back(l.get<std::string>());
      }
    }
    r.source = text(e[5]);
    r.via = text(e[6]);
    r.feedback = e[7].is_number_integer() ? e[7].get<int>() : 0;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace ensemble::recommend
