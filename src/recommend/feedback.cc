#include "ensemble/recommend/feedback.h"

#include <algorithm>

#include "ensemble/store/store.h"
#include "ensemble/util/error.h"

namespace ensemble::recommend {

namespace {
std::pair<std::int32_t, std::int32_t> key(std::int32_t a, std::int32_t b) {
  return {std::min(a, b), std::max(a, b)};
}
}  // namespace

FeedbackTable FeedbackTable::load(store::Database& db, const Catalog& catalog,
                                  std::int64_t after_id) {
  FeedbackTable t;
  auto st = db.prepare(
      "SELECT id, product_id, other_product_id, user, vote FROM feedback WHERE id > ?"
      " ORDER BY id");
  st.bind(1, after_id);
  while (st.step()) {
    t.last_id_ = std::max(t.last_id_, st.column_int(0));
    const std::int32_t a = catalog.find(st.column_text(1));
    const std::int32_t b = catalog.find(st.column_text(2));
    if (a < 0 || b < 0 || a == b) continue;
    t.add(a, b, st.column_text(3), static_cast<int>(st.column_int(4)));
  }
  return t;
}

void FeedbackTable::add(std::int32_t a, std::int32_t b, const std::string& user, int vote) {
  votes_[key(a, b)][user] = vote > 0 ? 1 : -1;
}

int FeedbackTable::net(std::int32_t a, std::int32_t b) const {
  const auto it = votes_.find(key(a, b));
  if (it == votes_.end()) return 0;
  int n = 0;
  for (const auto& [u, v] : it->second) n += v;
  return n;
}

std::map<std::pair<std::int32_t, std::int32_t>, int> FeedbackTable::nets() const {
  std::map<std::pair<std::int32_t, std::int32_t>, int> out;
  for (const auto& [k, users] : votes_) {
    int n = 0;
    for (const auto& [u, v] : users) n += v;
    if (n != 0) out[k] = n;
  }
  return out;
}

std::map<std::int32_t, int> FeedbackTable::of(std::int32_t product) const {
  std::map<std::int32_t, int> out;
  for (const auto& [k, users] : votes_) {
    if (k.first != product && k.second != product) continue;
    int n = 0;
    for (const auto& [u, v] : users) n += v;
    if (n != 0) out[k.first == product ? k.second : k.first] = n;
  }
  return out;
}

std::int64_t record_feedback(store::Database& db, const FeedbackInput& in) {
  if (in.vote != 1 && in.vote != -1) {
    throw Error(ErrorCode::kInvalidArgument, "vote must be up (+1) or down (-1)");
  }
  if (in.target != "pair" && in.target != "outfit") {
    throw Error(ErrorCode::kInvalidArgument, "feedback target must be pair or outfit");
  }
  if (in.product == in.other) {
    throw Error(ErrorCode::kInvalidArgument, "feedback needs two different products");
  }
  for (const auto* id : {&in.product, &in.other}) {
    auto st = db.prepare("SELECT 1 FROM products WHERE id = ?");
    st.bind(1, *id);
    if (!st.step()) throw Error(ErrorCode::kNotFound, "unknown product " + *id);
  }
  const std::string& a = std::min(in.product, in.other);
  const std::string& b = std::max(in.product, in.other);
  auto known = db.prepare(
      "SELECT (SELECT count(*) FROM pairs WHERE product_a = ?1 AND product_b = ?2) +"
      " (SELECT count(*) FROM recommendation_lists l, json_each(l.items) j"
      "  WHERE l.product_id = ?1 AND j.value ->> 0 = ?2) +"
      " (SELECT count(*) FROM recommendation_lists l, json_each(l.items) j"
      "  WHERE l.product_id = ?2 AND j.value ->> 0 = ?1)");
  known.bind(1, a).bind(2, b);
  known.step();
  if (known.column_int(0) == 0) {
    throw Error(ErrorCode::kBadInput, "no pair " + in.product + " + " + in.other +
                                          ": they were never seen together nor recommended");
  }
  store::Transaction tx(db);
  db.prepare(
        "INSERT INTO feedback (product_id, other_product_id, user, vote, target, note, created_at)"
        " VALUES (?,?,?,?,?,?,?)")
      .bind(1, in.product)
      .bind(2, in.other)
      .bind(3, in.user)
      .bind(4, in.vote)
      .bind(5, in.target)
      .bind(6, in.note.empty() ? std::optional<std::string>() : std::optional<std::string>(in.note))
      .bind(7, store::utc_now())
      .run();
  const std::int64_t id = db.last_insert_rowid();
  tx.commit();
  return id;
}

}  // namespace ensemble::recommend
