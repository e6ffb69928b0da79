#include "ensemble/segment/segmenter_config.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>
#include <string>

#include "ensemble/util/error.h"

namespace ensemble::segment {
namespace {

using Json = nlohmann::ordered_json;

[[noreturn]] void bad(const std::string& key, const std::string& why) {
  throw Error(ErrorCode::kInvalidArgument, "segmenter config '" + key + "': " + why);
}

// One visitor lists every field once, for to_json, from_json, validation and equality alike.
template <typename Config, typename Visitor>
void visit_fields(Config& c, Visitor&& v) {
  v("points_per_side", c.points_per_side);
  v("points_per_batch", c.points_per_batch);
  v("pred_iou_thresh", c.pred_iou_thresh);
  v("stability_score_thresh", c.stability_score_thresh);
  v("stability_score_offset", c.stability_score_offset);
  v("mask_threshold", c.mask_threshold);
  v("min_area_frac", c.min_area_frac);
  v("max_area_frac", c.max_area_frac);
  v("box_nms_thresh", c.box_nms_thresh);
  v("min_hole_area_frac", c.min_hole_area_frac);
  v("min_island_area_frac", c.min_island_area_frac);
  v("background_frame_frac", c.background_frame_frac);
  v("background_colour_match", c.background_colour_match);
  v("skin_max_frac", c.skin_max_frac);
  v("skin_keep_item_prob", c.skin_keep_item_prob);
  v("min_thickness_frac", c.min_thickness_frac);
  v("containment_thresh", c.containment_thresh);
  v("containment_area_ratio", c.containment_area_ratio);
  v("max_regions", c.max_regions);
  v("cap_overlap_iou", c.cap_overlap_iou);
  v("max_contexts", c.max_contexts);
  v("context_min_share", c.context_min_share);
  v("context_min_separation", c.context_min_separation);
  v("classic_work_size", c.classic_work_size);
  v("keep_dropped", c.keep_dropped);
}

void check_range(const char* key, double v, double lo, double hi) {
  if (!std::isfinite(v) || v < lo || v > hi) {
    bad(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                 std::to_string(v));
  }
}

}  // namespace

void SegmenterConfig::validate() const {
  check_range("points_per_side", points_per_side, 1, 32);
  check_range("points_per_batch", points_per_batch, 1, 4096);
  check_range("pred_iou_thresh", pred_iou_thresh, 0, 1);
  check_range("stability_score_thresh", stability_score_thresh, 0, 1);
  check_range("stability_score_offset", stability_score_offset, 0, 1e6);
  check_range("mask_threshold", mask_threshold, -1e6, 1e6);
  check_range("min_area_frac", min_area_frac, 0, 1);
  check_range("max_area_frac", max_area_frac, 0, 1);
  if (min_area_frac > max_area_frac) bad("min_area_frac", "must not exceed max_area_frac");
  check_range("box_nms_thresh", box_nms_thresh, 0, 1);
  check_range("min_hole_area_frac", min_hole_area_frac, 0, 1);
  check_range("min_island_area_frac", min_island_area_frac, 0, 1);
  check_range("background_frame_frac", background_frame_frac, 0, 1.01);
  check_range("background_colour_match", background_colour_match, 0, 1.01);
  check_range("skin_max_frac", skin_max_frac, 0, 1.01);
  check_range("skin_keep_item_prob", skin_keep_item_prob, 0, 1.01);
  check_range("min_thickness_frac", min_thickness_frac, 0, 1);
  check_range("containment_thresh", containment_thresh, 0, 1.01);
  check_range("containment_area_ratio", containment_area_ratio, 0, 1.01);
  check_range("max_regions", max_regions, 1, 10000);
  check_range("cap_overlap_iou", cap_overlap_iou, 0, 1.01);
  check_range("max_contexts", max_contexts, 1, 64);
  check_range("context_min_share", context_min_share, 0, 0.5);
  check_range("context_min_separation", context_min_separation, 0, 1);
  check_range("classic_work_size", classic_work_size, 64, 2048);
}

std::string SegmenterConfig::to_json() const {
  Json j = Json::object();
  visit_fields(*this, [&](const char* key, const auto& value) { j[key] = value; });
  return j.dump();
}

SegmenterConfig SegmenterConfig::from_json(std::string_view text) {
  Json j;
  try {
    j = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    throw Error(ErrorCode::kInvalidArgument, std::string("segmenter config: malformed JSON: ") + e.what());
  }
  if (!j.is_object()) throw Error(ErrorCode::kInvalidArgument, "segmenter config: expected a JSON object");
  SegmenterConfig c;
  std::size_t used = 0;
  visit_fields(c, [&](const char* key, auto& field) {
    auto it = j.find(key);
    if (it == j.end()) return;
    ++used;
    using T = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<T, bool>) {
      if (!it->is_boolean()) bad(key, "expected true or false");
      field = it->template get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
      if (!it->is_number_integer()) bad(key, "expected an integer");
      field = it->template get<T>();
    } else {
      if (!it->is_number()) bad(key, "expected a number");
      field = it->template get<T>();
    }
  });
  if (used != j.size()) {
    for (const auto& [key, value] : j.items()) {
      bool known = false;
      visit_fields(c, [&](const char* k, const auto&) { known = known || key == k; });
      if (!known) bad(key, "unknown key");
    }
  }
  c.validate();
  return c;
}

bool operator==(const SegmenterConfig& a, const SegmenterConfig& b) { return a.to_json() == b.to_json(); }

}  // namespace ensemble::segment
