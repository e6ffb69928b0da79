#include "ensemble/search/lookbooks_for.h"

#include "ensemble/util/error.h"

namespace ensemble::search {

std::vector<LookbookHit> lookbooks_for(store::Store& store, const std::string& product_id, int k) {
  {
    auto st = store.db().prepare("SELECT 1 FROM products WHERE id = ?");
    st.bind(1, product_id);
    if (!st.step()) throw Error(ErrorCode::kNotFound, "unknown product id '" + product_id + "'");
  }
  auto st = store.db().prepare(
      "SELECT r.lookbook_id, m.region_id, r.context_id, r.x, r.y, r.w, r.h, m.score,"
      " r.category, l.image_sha, l.image_ext FROM matches m JOIN regions r ON r.id = m.region_id"
      " JOIN lookbooks l ON l.id = r.lookbook_id"
      " WHERE m.direction = 'product_to_region' AND m.product_id = ? ORDER BY m.rank LIMIT ?");
  st.bind(1, product_id).bind(2, k);
  std::vector<LookbookHit> hits;
  while (st.step()) {
    LookbookHit h;
    h.lookbook = st.column_text(0);
    h.region = st.column_int(1);
    h.context = st.column_int(2);
    for (int i = 0; i < 4; ++i) h.bbox[i] = st.column_int(3 + i);
    h.score = st.column_double(7);
    h.region_category = st.column_text(8);
    h.image_sha = st.column_text(9);
    h.image_ext = st.column_text(10);
    hits.push_back(std::move(h));
  }
  return hits;
}

nlohmann::json to_json(const LookbookHit& h) {
  return {{"lookbook", h.lookbook},
          {"region", h.region},
          {"context", h.context},
          {"bbox", {h.bbox[0], h.bbox[1], h.bbox[2], h.bbox[3]}},
          {"score", h.score},
          {"region_category", h.region_category}};
}

}  // namespace ensemble::search
