#include "ensemble/look/photo_look.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "ensemble/recommend/queries.h"
#include "ensemble/recommend/rules.h"
#include "ensemble/recommend/slots.h"
#include "ensemble/search/searcher.h"
#include "ensemble/segment/segmenter.h"
#include "ensemble/util/error.h"
#include "pipeline/stages.h"

namespace ensemble::look {

namespace {

// Candidates per region for the category vote; the match stage votes over its top
// match.products_per_region the same way.
constexpr int kVoteCandidates = 10;

// The outline of a mask: its largest outer contour, simplified to about 0.4% of its perimeter.
nlohmann::json polygon_of(const cv::Mat& mask) {
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(mask.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  nlohmann::json out = nlohmann::json::array();
  if (contours.empty()) return out;
  const auto& largest = *std::max_element(contours.begin(), contours.end(),
                                          [](const auto& a, const auto& b) {
                                            return cv::contourArea(a) < cv::contourArea(b);
                                          });
  std::vector<cv::Point> simple;
  cv::approxPolyDP(largest, simple, 0.004 * cv::arcLength(largest, true), true);
  for (const auto& p : simple) out.push_back({p.x, p.y});
  return out;
}

struct ProductInfo {
  std::string title, category, image;
};

ProductInfo product_info(store::Store& store, const std::string& id) {
  auto st = store.db().prepare(
      "SELECT title, category, image_sha, image_ext FROM products WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return {};
  return {st.column_text(0), st.column_text(1),
          store.media().path_for(st.column_text(2), st.column_text(3)).string()};
}

// One region of the photo with its matches and voted category.
struct PhotoRegion {
  segment::Region region;
  bool whole_image = false;
  std::vector<search::SearchHit> matches;  // best first, above the minimum similarity
  std::string category, slot;
  double category_confidence = 0;
};

}  // namespace

struct PhotoLook::Impl {
  const config::Config& config;
  const search::Searcher& searcher;
  std::unique_ptr<segment::Segmenter> segmenter;
  recommend::SlotTable slots;
  recommend::MerchRules rules;
};

PhotoLook::PhotoLook(const config::Config& config, const search::Searcher& searcher)
    : impl_(std::make_unique<Impl>(Impl{
          config, searcher,
          pipeline::open_segmenter(config),
          recommend::SlotTable::with_overrides(config.get_list("cooccur.slot_map")),
          recommend::MerchRules::from_config(config)})) {}

PhotoLook::~PhotoLook() = default;

nlohmann::json PhotoLook::complete(store::Store& store, const cv::Mat& bgr,
                                   const LookOptions& options) const {
  if (bgr.empty()) throw Error(ErrorCode::kBadInput, "the photo is empty");
  if (options.matches_per_region < 1 || options.matches_per_region > 100) {
    throw Error(ErrorCode::kBadInput, "matches per region must be between 1 and 100, not " +
                                          std::to_string(options.matches_per_region));
  }
  const auto seg = impl_->segmenter->segment(bgr);
  std::vector<PhotoRegion> regions;
  for (const auto& r : seg.regions) {
    if (!r.kept) continue;
    PhotoRegion pr;
    pr.region = r;
    regions.push_back(std::move(pr));
  }
  if (regions.empty()) {
    // No usable region: the whole photo is the query, so the caller still gets its best matches.
    PhotoRegion whole;
    whole.whole_image = true;
    whole.region.mask = cv::Mat(bgr.size(), CV_8UC1, cv::Scalar(255));
    whole.region.bbox = cv::Rect(0, 0, bgr.cols, bgr.rows);
    whole.region.area = static_cast<std::int64_t>(bgr.total());
    whole.region.predicted_iou = whole.region.stability = 0;
    regions.push_back(std::move(whole));
  }

  // Embed every region in one batch, through the embedder that made the stored vectors.
  std::vector<cv::Mat> images(regions.size(), bgr);
  std::vector<cv::Mat> masks;
  for (const auto& r : regions) masks.push_back(r.whole_image ? cv::Mat() : r.region.mask);
  const auto vectors = impl_->searcher.embedder().embed(images, masks);

  const auto min_sim = impl_->config.get_double("match.min_similarity");
  search::SearchOptions so;
  so.k = std::max(options.matches_per_region, kVoteCandidates);
  for (std::size_t i = 0; i < regions.size(); ++i) {
    auto& pr = regions[i];
    auto hits = impl_->searcher.by_vector(vectors.row_span(static_cast<std::int64_t>(i)), so);
    std::erase_if(hits, [min_sim](const search::SearchHit& h) { return h.score < min_sim; });
    // Similarity-weighted category vote (ties: the smaller category name).
    std::map<std::string, double> votes;
    double total = 0;
    for (const auto& h : hits) {
      const double w = std::max(0.0, static_cast<double>(h.score));
      votes[h.category] += w;
      total += w;
    }
    for (const auto& [c, w] : votes) {
      if (w > pr.category_confidence) {
        pr.category = c;
        pr.category_confidence = w;
      }
    }
    if (total > 0) pr.category_confidence /= total;
    pr.slot = pr.category.empty() ? "" : impl_->slots.slot_of(pr.category);
    if (static_cast<int>(hits.size()) > options.matches_per_region) {
      hits.resize(static_cast<std::size_t>(options.matches_per_region));
    }
    pr.matches = std::move(hits);
  }

  // The main outfit: the context covering the most pixels (a photo may show several people).
  std::map<int, std::int64_t> context_area;
  for (const auto& pr : regions) context_area[pr.region.context] += pr.region.area;
  int main_context = regions.front().region.context;
  for (const auto& [c, a] : context_area) {
    if (a > context_area[main_context]) main_context = c;
  }

  // The photo's own items: for each region of the main outfit its best match of the region's slot,
  // ranked by similarity × sqrt(share of the photo) so a whole garment beats a small fragment that
  // happens to match well; greedily one per slot, never two slots the rules keep apart.
  struct Candidate {
    std::size_t region;
    const search::SearchHit* hit;
    double key;
  };
  std::vector<Candidate> candidates;
  const double photo_area = static_cast<double>(bgr.total());
  for (std::size_t i = 0; i < regions.size(); ++i) {
    const auto& pr = regions[i];
    if (pr.region.context != main_context || pr.slot.empty()) continue;
    for (const auto& h : pr.matches) {
      if (impl_->slots.slot_of(h.category) != pr.slot) continue;
      candidates.push_back(
          {i, &h, h.score * std::sqrt(static_cast<double>(pr.region.area) / photo_area)});
      break;
    }
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.key > b.key; });
  const auto& exclusive = impl_->rules.exclusive_slots;
  std::vector<std::size_t> photo_items;
  std::set<std::string> taken_slots, taken_products;
  for (const auto& c : candidates) {
    const std::string& slot = regions[c.region].slot;
    bool ok = taken_slots.count(slot) == 0 && taken_products.count(c.hit->product) == 0;
    for (const auto& t : taken_slots) {
      ok = ok && exclusive.count(t < slot ? std::make_pair(t, slot) : std::make_pair(slot, t)) == 0;
    }
    if (!ok) continue;
    taken_slots.insert(slot);
    taken_products.insert(c.hit->product);
    photo_items.push_back(c.region);
  }
  std::map<std::size_t, const search::SearchHit*> item_hit;
  for (const auto& c : candidates) item_hit.emplace(c.region, c.hit);
  // The largest region first: it anchors the price band.
  std::sort(photo_items.begin(), photo_items.end(), [&](std::size_t a, std::size_t b) {
    return regions[a].region.area != regions[b].region.area
               ? regions[a].region.area > regions[b].region.area
               : a < b;
  });
  std::vector<std::string> ids;
  std::map<std::string, std::size_t> region_of;
  for (auto i : photo_items) {
    ids.push_back(item_hit.at(i)->product);
    region_of.emplace(ids.back(), i);
  }

  nlohmann::json out = {{"image", {{"width", bgr.cols}, {"height", bgr.rows}}},
                        {"regions", nlohmann::json::array()},
                        {"outfit", nlohmann::json::array()},
                        {"unfilled", nlohmann::json::array()},
                        {"plan", "rules"}};
  for (std::size_t i = 0; i < regions.size(); ++i) {
    const auto& pr = regions[i];
    const auto& b = pr.region.bbox;
    nlohmann::json r = {{"id", i},
                        {"bbox", {b.x, b.y, b.width, b.height}},
                        {"area", pr.region.area},
                        {"context", pr.region.context},
                        {"score", pr.region.score()},
                        {"slot", pr.slot},
                        {"category", pr.category},
                        {"slot_confidence", pr.category_confidence},
                        {"matches", search::to_json(pr.matches)["results"]}};
    if (pr.whole_image) r["whole_image"] = true;
    if (options.include_polygons) r["polygon"] = polygon_of(pr.region.mask);
    out["regions"].push_back(std::move(r));
  }
  if (ids.empty()) {
    out["reason"] = "no region of the photo matched a catalog product above match.min_similarity";
    return out;
  }
  const auto outfit = recommend::complete_items_query(store, impl_->config, ids);
  out["plan"] = outfit["plan"];
  out["unfilled"] = outfit["unfilled"];
  for (auto item : outfit["outfit"]) {
    const std::string id = item["product"].get<std::string>();
    const auto it = region_of.find(id);
    if (it != region_of.end()) {
      item["source"] = "photo";
      item["region"] = it->second;
      const double sim = item_hit.at(it->second)->score;
      item["score"] = sim;
      char buf[96];
      std::snprintf(buf, sizeof buf, "matches the photo's %s (region %zu, similarity %.2f)",
                    regions[it->second].slot.c_str(), it->second, sim);
      item["reason"] = buf;
    } else {
      item["source"] = "pairs";
    }
    const auto info = product_info(store, id);
    item["title"] = info.title;
    item["category"] = info.category;
    item["image"] = info.image;
    out["outfit"].push_back(std::move(item));
  }
  return out;
}

}  // namespace ensemble::look
