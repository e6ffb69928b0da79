#include "segment/segment_common.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "ensemble/segment/outfit_context.h"
#include "ensemble/segment/region_filters.h"
#include "ensemble/util/error.h"

namespace ensemble::segment {
namespace {

Region to_region(MaskCandidate&& m, cv::Size image_size) {
  Region r;
  const double sx = static_cast<double>(image_size.width) / m.mask.cols;
  const double sy = static_cast<double>(image_size.height) / m.mask.rows;
  r.point = cv::Point2f(static_cast<float>(m.point.x * sx), static_cast<float>(m.point.y * sy));
  if (m.mask.size() == image_size) {
    r.mask = std::move(m.mask);
  } else {
    // Bilinear on the 0/255 mask then a half threshold: smoother edges than nearest neighbour.
    cv::Mat up;
    cv::resize(m.mask, up, image_size, 0, 0, cv::INTER_LINEAR);
    cv::compare(up, 127, r.mask, cv::CMP_GT);
  }
  r.bbox = mask_box(r.mask);
  r.area = cv::countNonZero(r.mask);
  r.predicted_iou = m.predicted_iou;
  r.stability = m.stability;
  return r;
}

}  // namespace

cv::Mat to_bgr8(const cv::Mat& image) {
  if (image.empty()) throw Error(ErrorCode::kBadInput, "segment: empty image");
  if (image.depth() != CV_8U) {
    throw Error(ErrorCode::kBadInput, "segment: expected an 8-bit image, got depth " +
                                          std::to_string(image.depth()));
  }
  switch (image.channels()) {
    case 3: return image;
    case 1: {
      cv::Mat out;
      cv::cvtColor(image, out, cv::COLOR_GRAY2BGR);
      return out;
    }
    case 4: {
      cv::Mat out;
      cv::cvtColor(image, out, cv::COLOR_BGRA2BGR);
      return out;
    }
    default:
      throw Error(ErrorCode::kBadInput,
                  "segment: expected 1, 3 or 4 channels, got " + std::to_string(image.channels()));
  }
}

void run_nms_and_cleanup(std::vector<MaskCandidate>& c, const SegmenterConfig& config,
                         FilterStats& stats) {
  stats.add("nms", static_cast<std::int64_t>(filter_by_box_nms(c, config.box_nms_thresh)));
  const double pixels = c.empty() ? 0.0 : static_cast<double>(c[0].mask.total());
  const auto holes = static_cast<std::int64_t>(std::llround(config.min_hole_area_frac * pixels));
  const auto islands = static_cast<std::int64_t>(std::llround(config.min_island_area_frac * pixels));
  stats.add("small_regions",
            static_cast<std::int64_t>(postprocess_small_regions(c, holes, islands, config.box_nms_thresh)));
}

SegmentationResult finish_segmentation(std::vector<MaskCandidate> c, const cv::Mat& work_bgr,
                                       cv::Size image_size, const SegmenterConfig& config,
                                       FilterStats stats) {
  std::vector<std::pair<MaskCandidate, std::string>> dropped;
  apply_region_filters(c, work_bgr, config, stats, config.keep_dropped ? &dropped : nullptr);

  SegmentationResult result;
  result.size = image_size;
  result.stats = std::move(stats);
  std::stable_sort(c.begin(), c.end(),
                   [](const MaskCandidate& a, const MaskCandidate& b) { return a.area > b.area; });
  std::vector<cv::Mat> work_masks;
  for (const auto& m : c) work_masks.push_back(m.mask);
  ContextOptions context_options;
  context_options.max_contexts = config.max_contexts;
  context_options.min_share = config.context_min_share;
  context_options.min_separation = config.context_min_separation;
  const ContextAssignment ctx = assign_outfit_contexts(work_masks, context_options);
  for (std::size_t i = 0; i < c.size(); ++i) {
    Region r = to_region(std::move(c[i]), image_size);
    r.context = ctx.context[i];
    result.regions.push_back(std::move(r));
  }
  result.contexts = c.empty() ? 0 : ctx.count;
  for (auto& [m, reason] : dropped) {
    Region r = to_region(std::move(m), image_size);
    r.kept = false;
    r.context = -1;
    r.drop_reason = reason;
    result.regions.push_back(std::move(r));
  }
  return result;
}

}  // namespace ensemble::segment
