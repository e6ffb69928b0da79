// Products and lookbooks (docs/API.md, "Products", "Lookbooks").
#include <httplib.h>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include "ensemble/recommend/queries.h"
#include "ensemble/recommend/slots.h"
#include "ensemble/search/lookbooks_for.h"
#include "ensemble/segment/rle.h"
#include "server/routes.h"

namespace ensemble::server {

namespace {

using nlohmann::json;

std::string url_of(store::Store& store, const std::string& sha, const std::string& ext) {
  return media_url(store.media().path_for(sha, ext).string());
}

recommend::SlotTable slot_table(const config::Config& config) {
  return recommend::SlotTable::with_overrides(config.get_list("cooccur.slot_map"));
}

void product(const httplib::Request& req, httplib::Response& res, ServerContext& ctx) {
  const std::string id = path_param(req, 1);
  auto w = ctx.workers.acquire();
  auto st = w->store().db().prepare(
      "SELECT id, title, category, image_sha, image_ext, width, height, attributes, created_at,"
      " updated_at FROM products WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) throw Error(ErrorCode::kNotFound, "unknown product id '" + id + "'");
  auto attrs = json::parse(st.column_text(7), nullptr, false);
  if (attrs.is_discarded()) attrs = json::object();
  send_json(res, {{"id", st.column_text(0)},
                  {"title", st.column_text(1)},
                  {"category", st.column_text(2)},
                  {"slot", slot_table(ctx.options.config).slot_of(st.column_text(2))},
                  {"image", url_of(w->store(), st.column_text(3), st.column_text(4))},
                  {"width", st.column_int(5)},
                  {"height", st.column_int(6)},
                  {"attributes", attrs},
                  {"created_at", st.column_text(8)},
                  {"updated_at", st.column_text(9)}});
}

void recommendations(const httplib::Request& req, httplib::Response& res, ServerContext& ctx) {
  const int k = query_int(req, "k", 10, 1, 1000);
  auto w = ctx.workers.acquire();
  const store::ReadSnapshot snapshot(w->store().db());
  auto j = recommend::recommend_query(w->store(), ctx.options.config, path_param(req, 1), k);
  if (j.contains("recommendations")) add_product_briefs(w->store(), j["recommendations"]);
  send_json(res, j);
}

void outfit(const httplib::Request& req, httplib::Response& res, ServerContext& ctx) {
  auto w = ctx.workers.acquire();
  const store::ReadSnapshot snapshot(w->store().db());
  auto j = recommend::complete_query(w->store(), ctx.options.config, path_param(req, 1));
  if (j.contains("outfit")) add_product_briefs(w->store(), j["outfit"]);
  send_json(res, j);
}

// The same rows as `ensemble lookbooks-for` (search::lookbooks_for), plus the photo's URL.
void product_lookbooks(const httplib::Request& req, httplib::Response& res, ServerContext& ctx) {
  const std::string id = path_param(req, 1);
  const int k = query_int(req, "k", 10, 1, 1000);
  auto w = ctx.workers.acquire();
  const store::ReadSnapshot snapshot(w->store().db());
  auto& s = w->store();
  json hits = json::array();
  for (const auto& h : search::lookbooks_for(s, id, k)) {
    json j = search::to_json(h);
    j["image"] = url_of(s, h.image_sha, h.image_ext);
    hits.push_back(std::move(j));
  }
  send_json(res, {{"product", id}, {"lookbooks", hits}});
}

void lookbooks(const httplib::Request& req, httplib::Response& res, ServerContext& ctx) {
  const int offset = query_int(req, "offset", 0, 0, 1 << 30);
  const int limit = query_int(req, "limit", 50, 1, 200);
  auto w = ctx.workers.acquire();
  const store::ReadSnapshot snapshot(w->store().db());
  auto& s = w->store();
  std::int64_t total = 0;
  {
    auto st = s.db().prepare("SELECT COUNT(*) FROM lookbooks");
    if (st.step()) total = st.column_int(0);
  }
  auto st = s.db().prepare(
      "SELECT l.id, l.image_sha, l.image_ext, l.width, l.height,"
      " (SELECT COUNT(*) FROM regions r WHERE r.lookbook_id = l.id),"
      " (SELECT COUNT(DISTINCT context_id) FROM regions r WHERE r.lookbook_id = l.id)"
      " FROM lookbooks l ORDER BY l.id LIMIT ? OFFSET ?");
  st.bind(1, limit).bind(2, offset);
  json arr = json::array();
  while (st.step()) {
    arr.push_back({{"id", st.column_text(0)},
                   {"image", url_of(s, st.column_text(1), st.column_text(2))},
                   {"width", st.column_int(3)},
                   {"height", st.column_int(4)},
                   {"regions", st.column_int(5)},
                   {"contexts", st.column_int(6)}});
  }
  send_json(res, {{"total", total}, {"offset", offset}, {"limit", limit}, {"lookbooks", arr}});
}

// The outer outline of the mask's largest component, simplified, in image pixels ([] when the
// stored mask is unreadable). The blob is [height, width, counts...] as little-endian uint32.
json polygon_of(const void* blob, int bytes) {
  json poly = json::array();
  if (blob == nullptr || bytes < 8 || bytes % 4 != 0) return poly;
  std::vector<std::uint32_t> v(static_cast<size_t>(bytes) / 4);
  std::memcpy(v.data(), blob, static_cast<size_t>(bytes));
  segment::Rle rle;
  rle.height = static_cast<int>(v[0]);
  rle.width = static_cast<int>(v[1]);
  rle.counts.assign(v.begin() + 2, v.end());
  cv::Mat mask;
  try {
    mask = segment::rle_decode(rle);
  } catch (const std::exception&) {
    return poly;
  }
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  if (contours.empty()) return poly;
  size_t best = 0;
  double best_area = -1;
  for (size_t i = 0; i < contours.size(); ++i) {
    const double a = cv::contourArea(contours[i]);
    if (a > best_area) {
      best_area = a;
      best = i;
    }
  }
  std::vector<cv::Point> simple;
  const double eps = std::max(1.0, 0.004 * cv::arcLength(contours[best], true));
  cv::approxPolyDP(contours[best], simple, eps, true);
  for (const auto& p : simple) poly.push_back({p.x, p.y});
  return poly;
}

void lookbook(const httplib::Request& req, httplib::Response& res, ServerContext& ctx) {
  const std::string id = path_param(req, 1);
  auto w = ctx.workers.acquire();
  const store::ReadSnapshot snapshot(w->store().db());
  auto& s = w->store();
  json out;
  {
    auto st = s.db().prepare("SELECT id, image_sha, image_ext, width, height FROM lookbooks WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) throw Error(ErrorCode::kNotFound, "unknown lookbook id '" + id + "'");
    out = {{"id", st.column_text(0)},
           {"image", url_of(s, st.column_text(1), st.column_text(2))},
           {"width", st.column_int(3)},
           {"height", st.column_int(4)}};
  }
  const auto slots = slot_table(ctx.options.config);
  json regions = json::array();
  std::map<std::int64_t, size_t> at;  // region id -> index in regions
  std::set<std::int64_t> contexts;
  {
    auto st = s.db().prepare(
        "SELECT id, idx, x, y, w, h, area, context_id, confidence, COALESCE(category, ''),"
        " COALESCE(category_confidence, 0), mask_rle FROM regions WHERE lookbook_id = ? ORDER BY idx");
    st.bind(1, id);
    while (st.step()) {
      const std::string category = st.column_text(9);
      int bytes = 0;
      const void* blob = st.column_blob_ptr(11, &bytes);
      at[st.column_int(0)] = regions.size();
      contexts.insert(st.column_int(7));
      regions.push_back({{"id", st.column_int(0)},
                         {"idx", st.column_int(1)},
                         {"bbox", {st.column_int(2), st.column_int(3), st.column_int(4), st.column_int(5)}},
                         {"area", st.column_int(6)},
                         {"context", st.column_int(7)},
                         {"confidence", st.column_double(8)},
                         {"category", category},
                         {"category_confidence", st.column_double(10)},
                         {"slot", category.empty() ? "" : slots.slot_of(category)},
                         {"polygon", polygon_of(blob, bytes)},
                         {"matches", json::array()}});
    }
  }
  {
    auto st = s.db().prepare(
        "SELECT m.region_id, m.product_id, m.score, m.rank FROM matches m JOIN regions r"
        " ON r.id = m.region_id WHERE r.lookbook_id = ? AND m.direction = 'region_to_product'"
        " ORDER BY m.region_id, m.rank");
    st.bind(1, id);
    while (st.step()) {
      const auto it = at.find(st.column_int(0));
      if (it == at.end()) continue;
      regions[it->second]["matches"].push_back(
          {{"product", st.column_text(1)}, {"score", st.column_double(2)}, {"rank", st.column_int(3)}});
    }
  }
  for (auto& r : regions) add_product_briefs(s, r["matches"]);
  out["contexts"] = contexts.size();
  out["regions"] = std::move(regions);
  send_json(res, out);
}

}  // namespace


void add_product_briefs(store::Store& store, json& arr) {
  if (!arr.is_array()) return;
  auto has_product = [](const json& item) {
    return item.is_object() && item.contains("product") && item["product"].is_string();
  };
  // One statement for the items that lack their catalog fields (recommend_query's items come
  // with them, read with the list).
  json ids = json::array();
  for (const auto& item : arr) {
    if (has_product(item) && !(item.contains("title") && item.contains("category") && item.contains("image"))) {
      ids.push_back(item["product"]);
    }
  }
  std::unordered_map<std::string, json> briefs;
  if (!ids.empty()) {
    auto st = store.db().prepare(
        "SELECT id, title, category, image_sha, image_ext FROM products"
        " WHERE id IN (SELECT value FROM json_each(?))");
    st.bind(1, ids.dump());
    while (st.step()) {
      briefs.emplace(st.column_text(0),
                     json{{"title", st.column_text(1)},
                          {"category", st.column_text(2)},
                          {"image", url_of(store, st.column_text(3), st.column_text(4))}});
    }
  }
  for (auto& item : arr) {
    if (!has_product(item)) continue;
    const auto brief = briefs.find(item["product"].get<std::string>());
    if (brief != briefs.end()) {
      for (const auto& [k, v] : brief->second.items()) {
        if (!item.contains(k)) item[k] = v;
      }
    }
    if (item.contains("image") && item["image"].is_string()) {
      const auto p = item["image"].get<std::string>();
      if (p.rfind("/media/", 0) != 0) item["image"] = media_url(p);
    }
  }
}

void add_catalog_routes(Router& router, ServerContext& ctx) {
  const auto bind = [&ctx](void (*f)(const httplib::Request&, httplib::Response&, ServerContext&)) {
    return [&ctx, f](const httplib::Request& req, httplib::Response& res) { f(req, res, ctx); };
  };
  router.get(R"(/api/products/([^/]+))", "/api/products/{id}", bind(product));
  router.get(R"(/api/products/([^/]+)/recommendations)", "/api/products/{id}/recommendations",
             bind(recommendations));
  router.get(R"(/api/products/([^/]+)/outfit)", "/api/products/{id}/outfit", bind(outfit));
  router.get(R"(/api/products/([^/]+)/lookbooks)", "/api/products/{id}/lookbooks",
             bind(product_lookbooks));
  router.get("/api/lookbooks", "/api/lookbooks", bind(lookbooks));
  router.get(R"(/api/lookbooks/([^/]+))", "/api/lookbooks/{id}", bind(lookbook));
}

}  // namespace ensemble::server
