// POST /api/search and POST /api/complete (docs/API.md, "Search").
#include <httplib.h>
#include <malloc.h>

#include <atomic>

#include "ensemble/catalog/catalog_import.h"
#include "ensemble/image/image_loader.h"
#include "ensemble/image/image_probe.h"
#include "ensemble/look/photo_look.h"
#include "ensemble/search/searcher.h"
#include "server/routes.h"

namespace ensemble::server {

namespace {

// A photo request allocates and frees tens of MB (decoded image, masks, crops) in its thread's
// malloc arena; glibc keeps freed arena memory, so with many worker threads the process would
// hold ~30 MB per thread that ever did photo work. Hand it back every kTrimEvery photo requests:
// malloc_trim walks every arena and unmaps pages that the next request faults in again; after
// every request it was 2.2 % of the server's CPU in the serving benchmark (perf), plus those faults.
struct TrimAfter {
  static constexpr unsigned kTrimEvery = 16;
  ~TrimAfter() {
    static std::atomic<unsigned> photos{0};
    if (photos.fetch_add(1, std::memory_order_relaxed) % kTrimEvery == kTrimEvery - 1) malloc_trim(0);
  }
};

std::optional<std::string> json_string(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw HttpError(400, "bad_request", std::string("\"") + key + "\" must be a string");
  return it->get<std::string>();
}

int json_int(const nlohmann::json& j, const char* key, int def) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  if (!it->is_number_integer()) throw HttpError(400, "bad_request", std::string("\"") + key + "\" must be an integer");
  const auto v = it->get<std::int64_t>();
  if (v < -1000000 || v > 1000000) return -1;  // out of every range; the range check names it
  return static_cast<int>(v);
}

// A text field of a multipart form, nullopt when absent or empty.
std::optional<std::string> form_field(const httplib::Request& req, const char* name) {
  if (!req.has_file(name)) return std::nullopt;
  auto v = req.get_file_value(name).content;
  if (v.empty()) return std::nullopt;
  return v;
}

int form_int(const httplib::Request& req, const char* name, int def) {
  const auto v = form_field(req, name);
  if (!v) return def;
  size_t used = 0;
  int n = -1;
  try {
    n = std::stoi(*v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v->size()) {
    throw HttpError(400, "bad_request", std::string("field \"") + name + "\" must be an integer");
  }
  return n;
}

// The uploaded photo, decoded under the import limits (header checked before any pixel is decoded).
cv::Mat uploaded_image(const httplib::Request& req, const config::Config& config) {
  if (!req.has_file("image")) {
    throw HttpError(400, "bad_request", "the multipart form needs a file field \"image\"");
  }
  const auto& bytes = req.get_file_value("image").content;
  if (bytes.empty()) throw Error(ErrorCode::kBadInput, "the uploaded image is empty");
  if (image::probe_image(bytes).format == image::ImageFormat::kUnknown) {
    throw Error(ErrorCode::kBadInput,
                "the upload is not a supported image (JPEG, PNG, WebP, BMP or GIF)");
  }
  return image::decode_image(bytes, catalog::limits_from_config(config));
}

// Like search::search_text (the CLI's --text): through the snapshot's embedder when it has a text
// tower (a clip: model), FTS5 otherwise, without reopening the model for each query.
std::vector<search::SearchHit> text_search(Worker& w, const std::string& text,
                                           const search::SearchOptions& o) {
  const auto& model = w.snapshot().model;
  if (model && model->embedder->has_text() &&
      text.find_first_not_of(" \t\r\n") != std::string::npos) {
    const std::vector<std::string> texts{text};
    const embed::Embeddings q = model->embedder->embed_text(texts);
    return w.searcher().by_vector(q.row_span(0), o);
  }
  return search::Searcher::by_text(w.store(), text, o);
}

void search(const httplib::Request& req, httplib::Response& res, ServerContext& ctx) {
  search::SearchOptions o;
  std::vector<search::SearchHit> hits;
  if (is_multipart(req)) {
    o.k = form_int(req, "k", 10);
    search::check_k(o.k);
    o.category = form_field(req, "category");
    o.text = form_field(req, "text");
    TrimAfter trim;
    SlotLease slot(ctx.photo_slots);
    const cv::Mat img = uploaded_image(req, ctx.options.config);
    auto w = ctx.workers.acquire();
    const store::ReadSnapshot snapshot(w->store().db());
    hits = w->searcher().by_image(img, o);
  } else {
    const auto body = json_body(req);
    o.k = json_int(body, "k", 10);
    search::check_k(o.k);
    o.category = json_string(body, "category");
    const auto text = json_string(body, "text");
    const auto product = json_string(body, "product");
    auto w = ctx.workers.acquire();
    const store::ReadSnapshot snapshot(w->store().db());
    if (product) {
      o.text = text;
      hits = w->searcher().by_product(*product, o);
    } else if (text) {
      hits = text_search(*w, *text, o);
    } else {
      throw HttpError(400, "bad_request",
                      "give \"text\" or \"product\" (JSON), or a multipart \"image\" upload");
    }
  }
  auto j = search::to_json(hits);
  rewrite_images(j);
  send_json(res, j);
}

void complete(const httplib::Request& req, httplib::Response& res, ServerContext& ctx) {
  if (!is_multipart(req)) {
    throw HttpError(415, "unsupported_media_type",
                    "send the photo as multipart/form-data with a file field \"image\"");
  }
  look::LookOptions lo;
  lo.matches_per_region = form_int(req, "k", lo.matches_per_region);
  if (lo.matches_per_region < 1 || lo.matches_per_region > 100) {
    throw Error(ErrorCode::kInvalidArgument, "k must be between 1 and 100");
  }
  TrimAfter trim;
  SlotLease slot(ctx.photo_slots);
  const cv::Mat img = uploaded_image(req, ctx.options.config);
  auto w = ctx.workers.acquire();
  const store::ReadSnapshot snapshot(w->store().db());
  auto j = w->look().complete(w->store(), img, lo);
  rewrite_images(j);
  send_json(res, j);
}

}  // namespace

void add_search_routes(Router& router, ServerContext& ctx) {
  router.post("/api/search", "/api/search",
              [&ctx](const httplib::Request& req, httplib::Response& res) { search(req, res, ctx); });
  router.post("/api/complete", "/api/complete", [&ctx](const httplib::Request& req,
                                                      httplib::Response& res) { complete(req, res, ctx); });
}

}  // namespace ensemble::server
