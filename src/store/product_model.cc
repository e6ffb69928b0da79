#include "ensemble/store/product_model.h"

#include <cstdint>
#include <vector>

namespace ensemble::store {

std::string current_product_model(Database& db) {
  std::vector<std::string> tied;
  std::int64_t best = -1;
  {
    auto st = db.prepare(
        "SELECT model_id, count(*) FROM embeddings WHERE owner_kind = 'product' GROUP BY model_id");
    while (st.step()) {
      const std::int64_t n = st.column_int(1);
      if (n > best) {
        best = n;
        tied.clear();
      }
      if (n == best) tied.push_back(st.column_text(0));
    }
  }
  if (tied.size() <= 1) return tied.empty() ? std::string() : tied.front();
  std::string newest;
  std::int64_t newest_run = -1;
  auto st = db.prepare(
      "SELECT max(run_id) FROM embeddings WHERE owner_kind = 'product' AND model_id = ?");
  for (const auto& model : tied) {
    st.bind(1, model);
    st.step();
    const std::int64_t run = st.column_int(0);
    st.reset();
    if (run > newest_run) {
      newest_run = run;
      newest = model;
    }
  }
  return newest;
}

std::string product_vectors_stamp(Database& db, const std::string& model) {
  std::string stamp;
  {
    auto st = db.prepare(
        "SELECT fingerprint FROM stage_items WHERE stage = 'embed' AND item_id = 'product-vectors'");
    stamp = st.step() ? st.column_text(0) : std::string("-");
  }
  std::string sql = "SELECT count(*), coalesce(max(rowid), 0) FROM embeddings WHERE owner_kind = 'product'";
  if (!model.empty()) sql += " AND model_id = ?";
  auto st = db.prepare(sql);
  if (!model.empty()) st.bind(1, model);
  st.step();
  for (int c = 0; c < 2; ++c) {
    stamp += '|';
    stamp += std::to_string(st.column_int(c));
  }
  return stamp;
}

std::string product_vectors_key(Database& db, const std::string& model) {
  return model + "|" + product_vectors_stamp(db, model);
}

}  // namespace ensemble::store
