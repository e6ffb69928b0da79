#include "ensemble/recommend/evidence.h"

#include <algorithm>
#include <cstdlib>

#include "ensemble/util/error.h"
#include "ensemble/util/sha256.h"
#include "recommend/plain_json.h"

namespace ensemble::recommend {

const std::string& Product::attribute(const std::string& key) const {
  static const std::string kEmpty;
  const auto it = attributes.find(key);
  return it == attributes.end() ? kEmpty : it->second;
}

namespace {

double parse_price(const std::string& s) {
  if (s.empty()) return NAN;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  return (end != nullptr && *end == '\0' && std::isfinite(v)) ? v : NAN;
}

}  // namespace

Catalog Catalog::load(store::Database& db, const SlotTable& slots) {
  Catalog c;
  auto st = db.prepare("SELECT id, category, attributes FROM products ORDER BY id");
  while (st.step()) {
    Product p;
    p.id = st.column_text(0);
    p.category = st.column_text(1);
    p.attributes = read_string_map(st.column_text(2));
    c.add(std::move(p), slots);
  }
  return c;
}

std::int32_t Catalog::add(Product product, const SlotTable& slots) {
  if (index_.count(product.id) > 0) {
    throw Error(ErrorCode::kInvalidArgument, "duplicate product id " + product.id);
  }
  if (product.slot.empty()) product.slot = slots.slot_of(product.category);
  if (std::isnan(product.price)) product.price = parse_price(product.attribute("price"));
  const auto i = static_cast<std::int32_t>(products_.size());
  index_[product.id] = i;
  products_.push_back(std::move(product));
  return i;
}

std::int32_t Catalog::find(const std::string& id) const {
  const auto it = index_.find(id);
  return it == index_.end() ? -1 : it->second;
}

MatchEvidence MatchEvidence::load(store::Database& db, const Catalog& catalog, bool with_mutual) {
  MatchEvidence ev;
  std::unordered_map<std::int64_t, std::int32_t> region_index;
  {
    auto st = db.prepare(
        "SELECT id, lookbook_id, context_id, x, y, w, h FROM regions ORDER BY lookbook_id, id");
    while (st.step()) {
      Region r;
      r.id = st.column_int(0);
      r.lookbook = ev.add_lookbook(st.column_text(1));
      r.context = static_cast<std::int32_t>(st.column_int(2));
      r.x = static_cast<int>(st.column_int(3));
      r.y = static_cast<int>(st.column_int(4));
      r.w = static_cast<int>(st.column_int(5));
      r.h = static_cast<int>(st.column_int(6));
      region_index[r.id] = ev.add_region(r, {});
    }
  }
  // One pass over the table in storage order, then each region's candidates sorted by rank: an
  // ORDER BY would walk the primary-key index and fetch every row from it (a random read each).
  std::vector<std::vector<std::pair<std::int64_t, Candidate>>> ranked(ev.regions.size());
  auto st = db.prepare("SELECT direction, region_id, product_id, score, rank FROM matches");
  while (st.step()) {
    const bool to_product = st.column_text(0) == "region_to_product";
    if (!to_product && !with_mutual) continue;
    const auto rit = region_index.find(st.column_int(1));
    const std::int32_t p = catalog.find(st.column_text(2));
    if (rit == region_index.end() || p < 0) continue;
    if (to_product) {
      ranked[static_cast<size_t>(rit->second)].push_back(
          {st.column_int(4), {p, static_cast<float>(st.column_double(3))}});
    } else {
      ev.add_mutual(p, rit->second);
    }
  }
  for (size_t r = 0; r < ranked.size(); ++r) {
    auto& list = ranked[r];
    std::sort(list.begin(), list.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    auto& cands = ev.candidates[r];
    cands.reserve(list.size());
    for (const auto& [rank, c] : list) cands.push_back(c);
  }
  return ev;
}

std::int32_t MatchEvidence::add_lookbook(const std::string& id) {
  const auto it = lookbook_index_.find(id);
  if (it != lookbook_index_.end()) return it->second;
  const auto i = static_cast<std::int32_t>(lookbooks.size());
  lookbooks.push_back(id);
  lookbook_index_[id] = i;
  return i;
}

std::int32_t MatchEvidence::add_region(const Region& region, std::vector<Candidate> cands) {
  regions.push_back(region);
  candidates.push_back(std::move(cands));
  return static_cast<std::int32_t>(regions.size() - 1);
}

void MatchEvidence::add_mutual(std::int32_t product, std::int32_t region) {
  mutual_.insert(key(product, region));
}

std::string evidence_digest(store::Database& db) {
  std::string d;
  for (const char* sql :
       {"SELECT count(*), coalesce(max(updated_at), ''), coalesce(max(run_id), 0) FROM products",
        "SELECT count(*), coalesce(sum(context_id), 0), coalesce(max(run_id), 0),"
        " coalesce(sum(x + 3 * y + 7 * w + 11 * h), 0) FROM regions",
        "SELECT count(*), coalesce(max(run_id), 0), coalesce(sum(score * rank), 0) FROM matches"}) {
    auto st = db.prepare(sql);
    st.step();
    for (int c = 0; c < st.column_count(); ++c) d += st.column_text(c) + "|";
  }
  return sha256_hex(d);
}

}  // namespace ensemble::recommend
