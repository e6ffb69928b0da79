#include "ensemble/search/searcher.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "ensemble/search/embedder_registry.h"
#include "ensemble/search/product_index.h"
#include "ensemble/util/error.h"

namespace ensemble::search {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// An FTS5 query that matches any of the words (each quoted, so user text is never FTS syntax).
std::string fts_query(const std::string& text) {
  std::string q, word;
  auto flush = [&] {
    if (word.empty()) return;
    q += (q.empty() ? "\"" : " OR \"") + word + "\"";
    word.clear();
  };
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80 || c == '-') {
      word.push_back(static_cast<char>(c));
    } else {
      flush();
    }
  }
  flush();
  return q;
}

std::unordered_set<index::Id> text_rowids(store::Store& store, const std::string& text) {
  const std::string q = fts_query(text);
  if (q.empty()) throw Error(ErrorCode::kInvalidArgument, "the text query has no words");
  std::unordered_set<index::Id> out;
  auto st = store.db().prepare("SELECT rowid FROM products_fts WHERE products_fts MATCH ?");
  st.bind(1, q);
  while (st.step()) out.insert(st.column_int(0));
  return out;
}

std::unordered_set<index::Id> category_rowids(store::Store& store, const std::string& category) {
  std::unordered_set<index::Id> out;
  auto st = store.db().prepare("SELECT rowid FROM products WHERE category = ?");
  st.bind(1, lower(category));
  while (st.step()) out.insert(st.column_int(0));
  return out;
}

SearchHit hit_for_rowid(store::Store& store, index::Id rowid, float score) {
  auto st = store.db().prepare(
      "SELECT id, title, category, image_sha, image_ext FROM products WHERE rowid = ?");
  st.bind(1, rowid);
  if (!st.step()) return {};
  return {st.column_text(0), score, st.column_text(1), st.column_text(2),
          store.media().path_for(st.column_text(3), st.column_text(4)).string()};
}

}  // namespace

void check_k(int k) {
  if (k < 1 || k > 1000) {
    // Bad input (exit code 2), like an unknown product id: the query cannot be answered as asked.
    throw Error(ErrorCode::kBadInput, "k must be between 1 and 1000, not " + std::to_string(k));
  }
}

SearchModel open_search_model(store::Store& store, const config::Config& config) {
  // One thread per query, like the index below: a query's views are a handful of images, and the
  // server runs queries side by side (a thread pool per query only adds hand-offs).
  config::Config one_thread = config;
  one_thread.set("pipeline.threads", std::int64_t{1});
  std::shared_ptr<const embed::Embedder> embedder = open_embedder(store, one_thread);
  auto index = load_product_index(store, embedder->id());
  index->set_threads(1);  // before it becomes const and shared
  embed::QueryViewOptions views;
  views.per_side = static_cast<int>(config.get_int("search.query_views"));
  views.step_degrees = config.get_double("search.view_step_degrees");
  views.max_side = embed::view_side(embedder->input_side());
  return {std::move(embedder), std::move(index), views};
}

Searcher::Searcher(store::Store& store, const config::Config& config)
    : Searcher(store, open_search_model(store, config)) {}

Searcher::Searcher(store::Store& store, SearchModel model) : store_(store), model_(std::move(model)) {
  if (!model_.embedder || !model_.index) {
    throw Error(ErrorCode::kInternal, "Searcher needs an embedder and a product index");
  }
}

Searcher::~Searcher() = default;

std::vector<SearchHit> Searcher::search_vector(const float* query, const SearchOptions& options,
                                               const std::string& exclude,
                                               std::span<const float> photo) const {
  check_k(options.k);
  std::optional<std::unordered_set<index::Id>> allowed;
  if (options.category) allowed = category_rowids(store_, *options.category);
  if (options.text) {
    auto t = text_rowids(store_, *options.text);
    if (allowed) {
      std::unordered_set<index::Id> both;
      for (auto id : *allowed) {
        if (t.count(id) != 0) both.insert(id);
      }
      allowed = std::move(both);
    } else {
      allowed = std::move(t);
    }
  }
  if (allowed && allowed->empty()) return {};
  index::IdFilter filter;
  if (allowed) filter = [&allowed](index::Id id) { return allowed->count(id) != 0; };
  const int k = options.k + (exclude.empty() ? 0 : 1);
  const auto& index = *model_.index;
  const auto res = index.search(std::span<const float>(query, static_cast<size_t>(index.dim())), k,
                                allowed ? &filter : nullptr);
  std::vector<SearchHit> out;
  std::vector<index::Id> kept;
  for (int j = 0; j < res.count(0); ++j) {
    SearchHit h = hit_for_rowid(store_, res.id(0, j), res.score(0, j));
    if (h.product.empty() || h.product == exclude) continue;
    out.push_back(std::move(h));
    kept.push_back(res.id(0, j));
    if (static_cast<int>(out.size()) == options.k) break;
  }
  if (!photo.empty()) {
    // The photo as given scores too: an exact catalog photo keeps its cosine of 1.
    const std::vector<float> alone = index.score_ids(photo, kept);
    for (size_t i = 0; i < out.size(); ++i) {
      if (!std::isnan(alone[i])) out[i].score = std::max(out[i].score, alone[i]);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const SearchHit& a, const SearchHit& b) { return a.score > b.score; });
  }
  return out;
}

std::vector<SearchHit> Searcher::by_image(const cv::Mat& bgr, const SearchOptions& options) const {
  const embed::Embeddings e = model_.embedder->embed(embed::query_views(bgr, model_.views));
  const std::vector<float> query = embed::combine_views(e.values, e.dim);
  return search_vector(query.data(), options, "", e.rows > 1 ? e.row_span(0) : std::span<const float>());
}

std::vector<SearchHit> Searcher::by_vector(std::span<const float> query,
                                           const SearchOptions& options) const {
  if (static_cast<int>(query.size()) != model_.index->dim()) {
    throw Error(ErrorCode::kInvalidArgument,
                "query vector has " + std::to_string(query.size()) + " values, the index " +
                    std::to_string(model_.index->dim()));
  }
  return search_vector(query.data(), options, "");
}

std::vector<SearchHit> Searcher::by_product(const std::string& product_id,
                                            const SearchOptions& options) const {
  auto st = store_.db().prepare(
      "SELECT e.vector, e.dim FROM products p LEFT JOIN embeddings e ON e.owner_kind = 'product'"
      " AND e.owner_id = p.id AND e.model_id = ? WHERE p.id = ?");
  st.bind(1, model_.embedder->id()).bind(2, product_id);
  if (!st.step()) throw Error(ErrorCode::kNotFound, "unknown product id '" + product_id + "'");
  if (st.column_is_null(0)) {
    throw Error(ErrorCode::kConflict, "product '" + product_id +
                                          "' has no embedding yet: run `ensemble run`");
  }
  int bytes = 0;
  const auto* v = static_cast<const float*>(st.column_blob_ptr(0, &bytes));
  std::vector<float> q(v, v + bytes / static_cast<int>(sizeof(float)));
  return search_vector(q.data(), options, product_id);
}

std::vector<SearchHit> Searcher::by_text(store::Store& store, const std::string& text,
                                         const SearchOptions& options) {
  check_k(options.k);
  const std::string q = fts_query(text);
  if (q.empty()) throw Error(ErrorCode::kInvalidArgument, "the text query has no words");
  auto st = store.db().prepare(
      "SELECT p.id, p.title, p.category, p.image_sha, p.image_ext, bm25(products_fts) AS r"
      " FROM products_fts JOIN products p ON p.rowid = products_fts.rowid"
      " WHERE products_fts MATCH ? AND (? IS NULL OR p.category = ?) ORDER BY r, p.id LIMIT ?");
  st.bind(1, q);
  if (options.category) {
    st.bind(2, lower(*options.category)).bind(3, lower(*options.category));
  } else {
    st.bind_null(2).bind_null(3);
  }
  st.bind(4, options.k);
  std::vector<SearchHit> out;
  double best = 0;
  std::vector<double> raw;
  while (st.step()) {
    out.push_back({st.column_text(0), 0, st.column_text(1), st.column_text(2),
                   store.media().path_for(st.column_text(3), st.column_text(4)).string()});
    raw.push_back(-st.column_double(5));  // bm25: lower is better
    best = std::max(best, raw.back());
  }
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].score = best > 0 ? static_cast<float>(raw[i] / best) : 1.0f;
  }
  return out;
}

nlohmann::json to_json(const std::vector<SearchHit>& hits) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& h : hits) {
    arr.push_back({{"product", h.product},
                   {"score", h.score},
                   {"title", h.title},
                   {"category", h.category},
                   {"image", h.image}});
  }
  return {{"results", arr}};
}

}  // namespace ensemble::search
