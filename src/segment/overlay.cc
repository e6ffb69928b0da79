#include "ensemble/segment/overlay.h"

#include <opencv2/imgproc.hpp>

#include <cassert>
#include <cmath>
#include <cstdio>

#include "segment/segment_common.h"

namespace ensemble::segment {
namespace {

// Distinct, saturated colours: hues spaced by the golden ratio.
cv::Scalar region_colour(int i) {
  const double hue = std::fmod(0.13 + i * 0.618033988749895, 1.0) * 180.0;
  cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(hue, 200, 255)), bgr;
  cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
  const auto v = bgr.at<cv::Vec3b>(0, 0);
  return cv::Scalar(v[0], v[1], v[2]);
}

cv::Scalar context_colour(int c) {
  static const cv::Scalar kColours[] = {{0, 255, 255}, {255, 0, 255}, {255, 255, 0},
                                        {0, 128, 255}, {0, 255, 0},   {255, 128, 0}};
  if (c < 0) return {160, 160, 160};
  return kColours[c % 6];
}

void dashed_rect(cv::Mat& img, const cv::Rect& r, const cv::Scalar& colour) {
  const cv::Point corners[] = {r.tl(), {r.x + r.width, r.y}, r.br(), {r.x, r.y + r.height}, r.tl()};
  for (int s = 0; s < 4; ++s) {
    const cv::Point a = corners[s], b = corners[s + 1];
    const double len = std::hypot(b.x - a.x, b.y - a.y);
    for (double t = 0; t < len; t += 10) {
      const double t2 = std::min(len, t + 5);
      cv::line(img, a + (b - a) * (t / len), a + (b - a) * (t2 / len), colour, 1);
    }
  }
}

}  // namespace

cv::Mat render_overlay(const cv::Mat& image, const SegmentationResult& result,
                       const OverlayOptions& options) {
  cv::Mat canvas = to_bgr8(image).clone();
  assert(canvas.size() == result.size);
  const int thickness = std::max(1, std::min(canvas.cols, canvas.rows) / 400);
  const double font = std::max(0.35, std::min(canvas.cols, canvas.rows) / 1200.0);

  // Fill smallest last so small regions stay visible over large ones.
  std::vector<int> order;
  int drawn = 0;
  for (std::size_t i = 0; i < result.regions.size(); ++i) {
    const Region& r = result.regions[i];
    if (r.kept ? drawn++ < options.max_regions : options.show_dropped) order.push_back(static_cast<int>(i));
  }
  for (int i : order) {
    const Region& r = result.regions[i];
    if (!r.kept) continue;
    if (r.bbox.empty()) continue;
    cv::Mat roi = canvas(r.bbox);
    const cv::Mat colour(roi.size(), CV_8UC3, region_colour(i));
    cv::Mat blended;
    cv::addWeighted(roi, 1.0 - options.alpha, colour, options.alpha, 0, blended);
    blended.copyTo(roi, r.mask(r.bbox));
  }
  for (int i : order) {
    const Region& r = result.regions[i];
    const cv::Scalar colour = r.kept ? region_colour(i) : cv::Scalar(128, 128, 128);
    if (options.contours) {
      std::vector<std::vector<cv::Point>> contours;
      cv::findContours(r.mask.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
      cv::drawContours(canvas, contours, -1, colour, thickness);
    }
    if (options.boxes) {
      if (r.kept) {
        cv::rectangle(canvas, r.bbox, context_colour(r.context), thickness);
      } else {
        dashed_rect(canvas, r.bbox, context_colour(-1));
      }
    }
    if (options.labels) {
      char text[96];
      if (r.kept) {
        std::snprintf(text, sizeof text, "c%d #%d %.2f", r.context, i, r.score());
      } else {
        std::snprintf(text, sizeof text, "#%d %s", i, r.drop_reason.c_str());
      }
      const cv::Point at(r.bbox.x + 2, std::max(12, r.bbox.y + static_cast<int>(14 * font / 0.45)));
      cv::putText(canvas, text, at, cv::FONT_HERSHEY_SIMPLEX, font, cv::Scalar(0, 0, 0), thickness + 2);
      cv::putText(canvas, text, at, cv::FONT_HERSHEY_SIMPLEX, font,
                  r.kept ? context_colour(r.context) : context_colour(-1), thickness);
    }
  }
  return canvas;
}

}  // namespace ensemble::segment
