// Feedback (the one write), stats, lineage, health and metrics (docs/API.md, "Feedback",
// "Operations").
#include <httplib.h>

#include "ensemble/recommend/feedback.h"
#include "ensemble/store/schema.h"
#include "server/routes.h"

namespace ensemble::server {

namespace {

using nlohmann::json;

// Constant-time comparison, so a token cannot be guessed byte by byte from response times.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

void require_token(const httplib::Request& req, httplib::Response& res, const std::string& token) {
  if (token.empty()) return;
  const std::string auth = req.get_header_value("Authorization");
  if (auth.empty()) {
    res.set_header("WWW-Authenticate", "Bearer");
    throw HttpError(401, "unauthorized", "this server needs Authorization: Bearer <token> for writes");
  }
  if (!same_secret(auth, "Bearer " + token)) throw HttpError(403, "forbidden", "wrong token");
}

std::string string_field(const json& j, const char* key, bool required) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) throw HttpError(400, "bad_request", std::string("\"") + key + "\" is required");
    return "";
  }
  if (!it->is_string()) throw HttpError(400, "bad_request", std::string("\"") + key + "\" must be a string");
  return it->get<std::string>();
}

void feedback(const httplib::Request& req, httplib::Response& res, ServerContext& ctx) {
  require_token(req, res, ctx.options.token);
  const auto body = json_body(req);
  recommend::FeedbackInput in;
  in.product = string_field(body, "product", true);
  in.other = string_field(body, "other", true);
  in.user = string_field(body, "user", false);
  in.note = string_field(body, "note", false);
  if (const auto t = string_field(body, "target", false); !t.empty()) in.target = t;
  const auto vote = body.find("vote");
  if (vote == body.end()) throw HttpError(400, "bad_request", "\"vote\" is required (\"up\" or \"down\")");
  if (vote->is_string() && (*vote == "up" || *vote == "down")) {
    in.vote = *vote == "up" ? 1 : -1;
  } else if (vote->is_number_integer() && (*vote == 1 || *vote == -1)) {
    in.vote = vote->get<int>();
  } else {
    throw HttpError(400, "bad_request", "\"vote\" must be \"up\", \"down\", 1 or -1");
  }
  if (in.note.size() > 4000 || in.user.size() > 200) {
    throw Error(ErrorCode::kInvalidArgument, "note (4000) or user (200 characters) too long");
  }
  auto w = ctx.workers.acquire();
  const auto id = recommend::record_feedback(w->store().db(), in);
  send_json(res, {{"id", id}}, 201);
}

json index_json(const Snapshot& snap) {
  json j;
  if (snap.model) {
    j = {{"status", "ready"},
         {"size", snap.model->index->size()},
         {"backend", snap.model->index->spec()},
         {"model", snap.model->embedder->id()}};
  } else {
    j = {{"status", "unavailable"}, {"size", 0}, {"reason", snap.unavailable_reason}};
  }
  return j;
}

json snapshot_json(const Snapshot& snap) {
  return {{"generation", snap.generation}, {"run_id", snap.run_id}, {"loaded_at", snap.loaded_at}};
}

void stats(const httplib::Request&, httplib::Response& res, ServerContext& ctx) {
  auto w = ctx.workers.acquire();
  const store::ReadSnapshot snapshot(w->store().db());  // the counts of one state
  auto& s = w->store();
  send_json(res, {{"schema_version", store::schema_version(s.db())},
                  {"tables", s.table_counts()},
                  {"index", index_json(w->snapshot())},
                  {"snapshot", snapshot_json(w->snapshot())}});
}

void runs(const httplib::Request& req, httplib::Response& res, ServerContext& ctx) {
  const int limit = query_int(req, "limit", 20, 1, 1000);
  auto w = ctx.workers.acquire();
  json arr = json::array();
  for (const auto& r : w->store().runs(limit)) arr.push_back(r.to_json(false));
  send_json(res, {{"runs", arr}});
}

void run(const httplib::Request& req, httplib::Response& res, ServerContext& ctx) {
  const std::string id = path_param(req, 1);
  std::int64_t n = 0;
  try {
    size_t used = 0;
    n = std::stoll(id, &used);
    if (used != id.size()) n = 0;
  } catch (const std::exception&) {
    n = 0;
  }
  if (n <= 0) throw Error(ErrorCode::kNotFound, "no run '" + id + "'");
  auto w = ctx.workers.acquire();
  const auto r = w->store().run(n);
  if (!r) throw Error(ErrorCode::kNotFound, "no run " + std::to_string(n));
  send_json(res, r->to_json(true));
}

void healthz(const httplib::Request&, httplib::Response& res, ServerContext& ctx) {
  const auto snap = ctx.snapshots.current();
  send_json(res, {{"status", "ok"},
                  {"search", snap->model ? "ready" : "unavailable"},
                  {"generation", snap->generation}});
}

void metrics(const httplib::Request&, httplib::Response& res, ServerContext& ctx) {
  const auto snap = ctx.snapshots.current();
  std::vector<std::pair<std::string, double>> gauges = {
      {"ensemble_index_vectors", snap->model ? static_cast<double>(snap->model->index->size()) : 0.0},
      {"ensemble_snapshot_generation", static_cast<double>(snap->generation)},
  };
  try {
    auto w = ctx.workers.acquire();
    auto st = w->store().db().prepare("SELECT COUNT(*) FROM products");
    if (st.step()) gauges.emplace_back("ensemble_products", static_cast<double>(st.column_int(0)));
  } catch (const Error&) {
    // a busy database: the gauge is left out of this scrape
  }
  res.status = 200;
  res.set_content(ctx.metrics.render(gauges), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace

void add_ops_routes(Router& router, ServerContext& ctx) {
  const auto bind = [&ctx](void (*f)(const httplib::Request&, httplib::Response&, ServerContext&)) {
    return [&ctx, f](const httplib::Request& req, httplib::Response& res) { f(req, res, ctx); };
  };
  router.post("/api/feedback", "/api/feedback", bind(feedback));
  router.get("/api/stats", "/api/stats", bind(stats));
  router.get("/api/runs", "/api/runs", bind(runs));
  router.get(R"(/api/runs/([^/]+))", "/api/runs/{id}", bind(run));
  router.get("/healthz", "/healthz", bind(healthz));
  router.get("/metrics", "/metrics", bind(metrics));
}

}  // namespace ensemble::server
